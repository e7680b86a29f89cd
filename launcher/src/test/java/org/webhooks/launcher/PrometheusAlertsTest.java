package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.testing.TestStack;
import org.yaml.snakeyaml.Yaml;

/**
 * docs/prometheus-alerts.yml parses as Prometheus rule groups, and every metric it names, with every
 * label value it selects by equality, is in the scrape of a process running every service.
 */
class PrometheusAlertsTest {

  private static final Pattern SELECTOR = Pattern.compile("(webhooks_[a-z0-9_]+)(\\{([^}]*)\\})?");
  private static final Pattern EQUALS = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");
  private static final Pattern MATCHES = Pattern.compile("([a-z_]+)=~\"[^\"]*\"");

  @TempDir Path dataDir;

  @Test
  @SuppressWarnings("unchecked")
  void everyRuleNamesMetricsAndLabelValuesTheServicesExpose() throws Exception {
    List<Map<String, Object>> rules = new ArrayList<>();
    try (Reader in = Files.newBufferedReader(Path.of("..", "docs", "prometheus-alerts.yml"))) {
      Map<String, Object> doc = new Yaml().load(in);
      for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
        assertThat(group.get("name")).isInstanceOf(String.class);
        rules.addAll((List<Map<String, Object>>) group.get("rules"));
      }
    }
    assertThat(rules).hasSizeGreaterThanOrEqualTo(5);

    String scrape = scrapeOfEveryService();
    int selectors = 0;
    for (Map<String, Object> rule : rules) {
      String name = (String) rule.get("alert");
      assertThat(name).as("alert name").isNotBlank();
      assertThat((Map<String, Object>) rule.get("labels")).as(name).containsKey("severity");
      assertThat((Map<String, Object>) rule.get("annotations")).as(name).containsKey("summary");
      String expr = (String) rule.get("expr");
      Matcher m = SELECTOR.matcher(expr);
      boolean any = false;
      while (m.find()) {
        any = true;
        selectors++;
        String metric = m.group(1);
        assertThat(scrape).as(name + ": metric " + metric).containsPattern("(?m)^" + metric + "[{ ]");
        if (m.group(3) == null) {
          continue;
        }
        Matcher eq = EQUALS.matcher(m.group(3));
        while (eq.find()) {
          assertThat(scrape).as(name + ": " + metric + " with " + eq.group())
              .containsPattern("(?m)^" + metric + "\\{[^}]*" + Pattern.quote(eq.group(1) + "=\"" + eq.group(2) + "\""));
        }
        Matcher re = MATCHES.matcher(m.group(3));
        while (re.find()) {
          assertThat(scrape).as(name + ": " + metric + " with label " + re.group(1))
              .containsPattern("(?m)^" + metric + "\\{[^}]*" + Pattern.quote(re.group(1) + "=\""));
        }
      }
      assertThat(any).as(name + " names a webhooks metric").isTrue();
    }
    assertThat(selectors).isGreaterThanOrEqualTo(rules.size());
  }

  private String scrapeOfEveryService() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.DATA_DIR, dataDir.toString())
        .with(Setting.HTTP_PORT, "0");
    List<Service> services = new ArrayList<>();
    for (String name : Services.ALL) {
      services.add(Services.create(name, config));
    }
    // the services are not started: their meters exist from construction, which is what is checked
    try (ProcessHttpServer http = ProcessHttpServer.start(services, config)) {
      // as Prometheus scrapes: HTTP/1.1 (the JDK client's h2c upgrade of a first request was seen to hang)
      HttpResponse<String> metrics = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
              .timeout(Duration.ofSeconds(120)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      return metrics.body();
    }
  }
}
