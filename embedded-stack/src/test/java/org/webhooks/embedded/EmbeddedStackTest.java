package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStackTest {

    private static final String SCHEMA = "{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Kept\\\",\\\"namespace\\\":"
            + "\\\"org.webhooks.test\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"string\\\"}]}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void schemasSurviveRestartOfRegistryAndBrokerAndSecondProcessIsRefused() throws Exception {
        Path dataDir = dir.resolve("data");
        int id;
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0)) {
            assertThat(stack.registryUrl()).matches("http://127\\.0\\.0\\.1:\\d+/apis/ccompat/v7");
            StackProperties props = StackProperties.read(dataDir).orElseThrow();
            assertThat(props.bootstrapServers()).isEqualTo(stack.bootstrapServers());
            assertThat(props.registryUrl()).isEqualTo(stack.registryUrl());
            assertThat(dataDir.resolve("registry/registry.pid")).content()
                    .isEqualToIgnoringWhitespace(String.valueOf(stack.registry().pid()));

            id = register(stack.registryUrl(), "t-value");
            assertThat(id).isPositive();

            // Same data dir and the very ports in use: refused by the lock before any port is tried.
            ChildProcess.Result second = ChildProcess.runLockProbe(dir, "stack", dataDir.toString(),
                    String.valueOf(stack.kafka().brokerPort()), String.valueOf(stack.kafka().controllerPort()),
                    String.valueOf(stack.registry().port()));
            assertThat(second.exitCode()).as(second.output()).isEqualTo(LockProbe.REFUSED);
            assertThat(second.output()).contains("another stack is already running on data dir");
            assertThat(StackProperties.read(dataDir)).isPresent();
        }
        assertThat(dataDir.resolve(StackProperties.FILE_NAME)).doesNotExist();
        assertThat(dataDir.resolve("registry/registry.pid")).doesNotExist();

        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0)) {
            HttpResponse<String> schema = http.send(HttpRequest.newBuilder(
                    URI.create(stack.registryUrl() + "/schemas/ids/" + id)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(schema.statusCode()).as(schema.body()).isEqualTo(200);
            assertThat(schema.body()).contains("Kept").contains("org.webhooks.test");
            // Registering the same schema again yields the same id: the journal was replayed, not restarted.
            assertThat(register(stack.registryUrl(), "t-value")).isEqualTo(id);
        }
    }

    @Test
    void takenRegistryPortFailsClearlyAndReleasesEverything() throws Exception {
        Path dataDir = dir.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedStack.start(dataDir, 0, 0, port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Apicurio Registry port " + port)
                    .hasMessageContaining("already in use");
        }
        assertThat(dataDir.resolve(StackProperties.FILE_NAME)).doesNotExist();
        // The lock and the broker's log dir were released.
        StackLock.acquire(dataDir).close();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0, 0)) {
            assertThat(Files.exists(dataDir.resolve("kafka/meta.properties"))).isTrue();
        }
    }

    private int register(String registryUrl, String subject) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(registryUrl + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"" + SCHEMA + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Matcher m = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(response.body());
        assertThat(m.find()).as(response.body()).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
