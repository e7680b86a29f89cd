package org.webhooks.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.webhooks.bench.DemoReceiver;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: on a fresh temporary data dir, starts the whole platform and a local receiver that
 * verifies signatures, subscribes it to every event type, publishes one example of each type and
 * prints what arrived. Exits 0 only when all eight arrived with valid signatures and the expected bodies.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "End-to-end demo on a temporary data dir: eight example events to a local verifying receiver.")
final class DemoCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACCOUNT = "acct_demo";

  @Spec CommandSpec spec;

  @Option(names = "--wait", defaultValue = "60", description = "Seconds to wait for the deliveries (default 60).")
  int waitSeconds;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path dataDir = Files.createTempDirectory("webhooks-demo-");
    WebhooksConfig config = SettingsOptions.resolve(spec).with(Setting.DATA_DIR, dataDir.toString());
    String allowed = config.get(Setting.ALLOWED_TARGETS);
    config = config.with(Setting.ALLOWED_TARGETS, allowed.isBlank() ? "127.0.0.1" : allowed + ",127.0.0.1");
    config = ThrowawaySecretsKey.ifUnset(config);
    Map<String, JsonNode> examples = loadExamples();

    try (ServiceHost host = new ServiceHost(); DemoReceiver receiver = DemoReceiver.start(Clock.systemUTC())) {
      out.println("starting the embedded broker and registry in " + dataDir + " ...");
      out.flush();
      EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0);
      host.closeLast(() -> {
        stack.close();
        deleteRecursively(dataDir);
      });
      config = config.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
          .with(Setting.REGISTRY_URL, stack.registryUrl());
      KafkaClients.ensureTopics(config);

      // Saved before the services start: the fanout loads every existing subscription before it
      // processes its first event, so none of the examples can race past it.
      Subscription subscription = SubscriptionRules.newSubscription(ACCOUNT, receiver.url(), EventTypes.ALL,
          null, null, config.targetPolicy(), Instant.now());
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        store.save(subscription);
      }
      receiver.verifyWith(subscription.getSecrets().get(0).getSecret());
      for (String name : Services.PIPELINE) {
        host.start(Services.create(name, config));
      }
      if (!host.awaitReady(Duration.ofSeconds(waitSeconds))) {
        throw new IllegalStateException("the services did not become ready within " + waitSeconds + " s");
      }
      out.println("subscribed " + receiver.url() + " as " + subscription.getId() + "; publishing "
          + examples.size() + " example events");
      out.flush();

      Map<String, Long> publishedAt = publish(config, examples);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
      while (receiver.receipts().size() < examples.size() && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      return report(out, examples, publishedAt, receiver.receipts());
    }
  }

  private Map<String, Long> publish(WebhooksConfig config, Map<String, JsonNode> examples) throws Exception {
    Map<String, Long> publishedAt = new LinkedHashMap<>();
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (JsonNode example : examples.values()) {
        ObjectNode envelope = example.deepCopy();
        envelope.put("account_id", ACCOUNT);
        CallEvent event = CallEventJson.parse(envelope, Instant.now());
        long ts = publisher.publish(event).get(30, TimeUnit.SECONDS).timestamp();
        publishedAt.put(event.getEventId(), ts);
      }
    }
    return publishedAt;
  }

  private int report(PrintWriter out, Map<String, JsonNode> examples, Map<String, Long> publishedAt,
      Map<String, DemoReceiver.Receipt> receipts) throws Exception {
    String format = "%-20s  %10s  %-9s  %s%n";
    out.printf(format, "EVENT TYPE", "LATENCY MS", "SIGNATURE", "BODY");
    int ok = 0;
    List<String> missing = new ArrayList<>();
    for (JsonNode example : examples.values()) {
      String id = example.get("event_id").asText();
      String type = example.get("event_type").asText();
      DemoReceiver.Receipt r = receipts.get(id);
      if (r == null) {
        out.printf(format, type, "-", "-", "not received");
        missing.add(type);
        continue;
      }
      boolean bodyMatches = JSON.readTree(r.body()).equals(example);
      out.printf(format, type, r.receivedAtMs() - publishedAt.get(id), r.signatureValid() ? "valid" : "INVALID",
          bodyMatches ? "as published" : "DIFFERS");
      if (r.signatureValid() && bodyMatches) {
        ok++;
      }
    }
    out.printf("%d of %d events delivered and verified (LATENCY MS: from publish to receipt, on services that "
        + "have just started)%n", ok, examples.size());
    out.flush();
    return ok == examples.size() ? 0 : Webhooks.EXIT_FAILURE;
  }

  private static Map<String, JsonNode> loadExamples() throws Exception {
    Map<String, JsonNode> examples = new LinkedHashMap<>();
    for (String type : EventTypes.ALL) {
      try (InputStream in = DemoCommand.class.getResourceAsStream("/examples/" + type + ".json")) {
        if (in == null) {
          throw new IllegalStateException("example payload " + type + ".json is missing from the jar");
        }
        examples.put(type, JSON.readTree(in));
      }
    }
    return examples;
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
