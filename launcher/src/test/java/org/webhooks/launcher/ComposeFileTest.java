package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * docker-compose.yml cannot run without a Docker engine; this checks what can be checked without one:
 * it parses, every WEBHOOKS_* variable it sets is a declared setting, every service command exists,
 * and the worker can be scaled.
 */
class ComposeFileTest {

  @SuppressWarnings("unchecked")
  private static Map<String, Object> services() throws Exception {
    try (Reader in = Files.newBufferedReader(Path.of("..", "docker-compose.yml"))) {
      Map<String, Object> compose = new Yaml().load(in);
      return (Map<String, Object>) compose.get("services");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyWebhooksVariableInTheComposeFileIsADeclaredSetting() throws Exception {
    Set<String> declared = Arrays.stream(Setting.values()).map(Setting::envName).collect(Collectors.toSet());
    int checked = 0;
    for (Object service : services().values()) {
      Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) service).getOrDefault("environment", Map.of());
      for (String name : env.keySet()) {
        if (name.startsWith("WEBHOOKS_") && !name.startsWith("WEBHOOKS_KAFKA_")) {
          assertThat(declared).as("setting " + name).contains(name);
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(0);
  }

  @Test
  @SuppressWarnings("unchecked")
  void eachServiceRunsALauncherCommandAndTheWorkerScales() throws Exception {
    Map<String, Object> services = services();
    assertThat(services).containsKeys("kafka", "registry", "topics", "fanout-stream", "delivery-worker",
        "retry-scheduler", "delivery-stats", "control-plane");
    Set<String> commands = new CommandLine(new Webhooks()).getSubcommands().keySet();
    for (String name : List.of("topics", "fanout-stream", "delivery-worker", "retry-scheduler", "delivery-stats",
        "control-plane")) {
      Map<String, Object> s = (Map<String, Object>) services.get(name);
      List<String> command = (List<String>) s.get("command");
      assertThat(commands).contains(command.get(0));
      assertThat(s.get("environment")).isInstanceOf(Map.class);
    }
    for (String scaled : List.of("delivery-worker", "delivery-stats")) {
      assertThat((Map<String, Object>) services.get(scaled)).as(scaled).doesNotContainKeys("container_name", "ports");
    }
    Map<String, Object> statsEnv = (Map<String, Object>) ((Map<String, Object>) services.get("delivery-stats"))
        .get("environment");
    // instances forward queries to each other only with a shared token
    assertThat(statsEnv).containsKey("WEBHOOKS_INTERNAL_TOKEN").containsKey("WEBHOOKS_BOOTSTRAP_SERVERS");
    Map<String, Object> registryEnv = (Map<String, Object>) ((Map<String, Object>) services.get("registry")).get("environment");
    assertThat(registryEnv).containsEntry("APICURIO_STORAGE_KIND", "kafkasql").containsEntry("APICURIO_KAFKASQL_TOPIC_RETENTION_MS", "-1");
  }

  @Test
  void theDockerfileRunsTheJarTheBuildMakes() throws Exception {
    String dockerfile = Files.readString(Path.of("..", "Dockerfile"));
    String pom = Files.readString(Path.of("pom.xml"));
    assertThat(pom).contains("<finalName>webhooks</finalName>");
    assertThat(dockerfile).contains("launcher/target/webhooks.jar");
  }
}
