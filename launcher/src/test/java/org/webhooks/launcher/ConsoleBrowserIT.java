package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.webhooks.embedded.Dirs;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.testing.Receiver;
import org.webhooks.testing.TestStack;
import org.webhooks.worker.DeliveryWorker;

/**
 * The web console in headless Chromium, as a customer uses it, against every service {@code up} runs
 * (started by the same code, on the shared test broker and registry) and real receivers on this
 * machine: sign in, add an endpoint with a filter, copy its secret, send a test event, publish events
 * and see exactly the filtered ones arrive, rotate the secret, disable and delete; another account
 * sees none of it. Then monitoring: choose the alert endpoint, see published events in the attempts
 * table and the charts' figures, make the receiver fail and see the failures, the success rate fall
 * and endpoint.failing arrive at the alert endpoint, resend one, redeliver the dead letters, replay. Each test checks what the page shows, what the receivers got, and that the browser
 * logged no error; screenshots of each page at 1280 and 390 px are written on the way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String ACCOUNT = "acct_1";
  private static final String OTHER_ACCOUNT = "acct_2";
  private static final String GOLD_FILTER = "has(data.customer) && data.customer.tier == 'gold'";

  private final List<String> expectedHttpErrors = new ArrayList<>();
  private Path dir;
  private WebhooksConfig config;
  private ServiceHost host;
  private String origin;
  private Receiver receiver;
  private ConsoleBrowser browser;
  private String key;
  private String otherKey;
  private String operatorKey;

  // what the flow found out, for the steps after it
  private String goldId;
  private String goldSecret;
  private Set<String> previewDelivered;
  private String crmId;
  private String alertId;
  private String alertSecret;
  private String flakyId;
  private Instant beforeMonitoring;

  @BeforeAll
  void start() throws Exception {
    ConsoleBrowser.assumeInstalled();
    dir = Files.createTempDirectory("console-browser-it-");
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "console-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.HTTP_PORT, "0")
        .with(Setting.INSTANCE_ID, "console-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, dir.toString())
        // one quick retry, so a failing delivery is given up on (dead-lettered) within seconds; alerts
        // judged on a few attempts, so a handful of failures makes an endpoint failing
        .with(Setting.RETRY_SCHEDULE, "1s")
        .with(Setting.FAILING_MIN_ATTEMPTS, "3")
        .with(Setting.FAILING_SUCCESS_RATE, "0.5");
    // every service of up, started as up starts them
    host = new ServiceHost();
    ProcessHttpServer server = UpCommand.startServices(Services.ALL, config, host);
    assertThat(host.awaitReady(WAIT)).as("services ready").isTrue();
    origin = "http://127.0.0.1:" + server.port();
    receiver = Receiver.start(new AtomicLong());
    key = cli("api-keys", "create", "--account", ACCOUNT);
    otherKey = cli("api-keys", "create", "--account", OTHER_ACCOUNT);
    operatorKey = cli("api-keys", "create", "--operator");
    for (String k : List.of(key, otherKey, operatorKey)) {
      // the API reads new keys from their topic within milliseconds; a person is slower than that
      await().atMost(WAIT).until(() -> get("/v1/event-types", k).statusCode() == 200);
    }
    browser = ConsoleBrowser.start(dir, origin);
  }

  @AfterEach
  void noErrorsInTheBrowser() {
    if (browser != null) {
      browser.assertNoErrorsLoggedBut(expectedHttpErrors.toArray(String[]::new));
      expectedHttpErrors.clear();
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (host != null) {
      host.close();
      Dirs.deleteRecursively(dir);
    }
  }

  @Test
  @Order(1)
  void signingInShowsWhatToDoFirstAndAnEndpointIsAddedWithTheApisOwnErrorsAndALiveFilterCheck() throws Exception {
    browser.open(origin + "/");
    browser.until(ExpectedConditions.urlToBe(origin + "/#/sign-in"));
    browser.find(By.xpath("//h1[normalize-space()='Sign in to the webhooks console']"));
    browser.screenshots("sign-in", true);

    // by keyboard alone: the heading has the focus, Tab reaches the kind of key, then the key; Enter signs in
    assertThat(active().getTagName()).isEqualTo("h1");
    active().sendKeys(Keys.TAB);
    assertThat(active().getAttribute("value")).isEqualTo("account");
    active().sendKeys(Keys.TAB);
    assertThat(active()).isEqualTo(control("API key"));
    active().sendKeys(key, Keys.ENTER);

    browser.find(By.xpath("//h2[normalize-space()='No endpoints yet']"));
    assertThat(browser.mainText()).contains("Add an endpoint", "signing secret", "Send a test event");
    assertThat(browser.driver().findElement(By.id("who-text")).getText()).isEqualTo("Signed in with an account key");
    browser.screenshots("endpoints-empty", true);
    browser.find(By.linkText("Add your first endpoint")).sendKeys(Keys.ENTER);

    browser.find(By.xpath("//h1[normalize-space()='Add an endpoint']"));
    control("Endpoint URL").sendKeys("https://169.254.169.254/latest/meta-data");
    control("Description (optional)").sendKeys("Gold customers' calls");
    eventType("call.started").click();
    eventType("call.completed").click();
    // a filter with a mistake is pointed out as it is typed, where it is
    WebElement filter = control("Filter (optional)");
    filter.sendKeys("has(data.customer) && data.customer.tier = 'gold'");
    WebElement status = browser.find(By.cssSelector("[data-field='filter'] .filter-status"));
    browser.until(d -> status.getText().startsWith("filter: at 1:"));
    assertThat(browser.find(By.cssSelector(".filter-caret")).getText()).endsWith("^");
    assertThat(filter.getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(examplesShown().values()).containsOnly("Not checked");
    filter.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    filter.sendKeys(GOLD_FILTER);
    browser.until(d -> status.getText().equals("Valid filter: 1 of the 8 example events would be delivered."));
    Map<String, String> verdicts = examplesShown();
    assertThat(verdicts).hasSize(8).containsEntry("call.started", "Delivered")
        .containsEntry("call.completed", "Filtered out")
        .containsEntry("ticket.created", "Not selected");
    previewDelivered = verdicts.entrySet().stream().filter(e -> e.getValue().equals("Delivered"))
        .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));

    // the URL is refused by the API itself, and its message is shown beside the field
    button("Add endpoint").click();
    WebElement urlError = browser.find(By.cssSelector("[data-field='url'] .field-error"));
    browser.until(d -> urlError.isDisplayed());
    assertThat(urlError.getText()).startsWith("url: ");
    assertThat(control("Endpoint URL").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(active()).isEqualTo(control("Endpoint URL"));
    expectedHttpErrors.add("400 /v1/webhooks");
    browser.screenshots("add-endpoint", true);

    control("Endpoint URL").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    control("Endpoint URL").sendKeys(receiver.url("/gold"));
    button("Add endpoint").click();

    browser.find(By.xpath("//h1[normalize-space()='" + receiver.url("/gold") + "']"));
    goldId = browser.driver().getCurrentUrl().substring((origin + "/#/endpoints/").length());
    assertThat(goldId).startsWith("sub_");
    JsonNode saved = JSON.readTree(get("/v1/webhooks/" + goldId, key).body());
    assertThat(saved.get("url").asText()).isEqualTo(receiver.url("/gold"));
    assertThat(saved.get("filter").asText()).isEqualTo(GOLD_FILTER);
    assertThat(saved.get("description").asText()).isEqualTo("Gold customers' calls");
    assertThat(saved.get("event_types")).extracting(JsonNode::asText).containsExactly("call.started", "call.completed");
    assertThat(saved.get("enabled").asBoolean()).isTrue();
  }

  @Test
  @Order(2)
  void theSecretIsShownOnceAndCopiedAndATestEventIsAnswered200() throws Exception {
    WebElement secret = browser.find(By.cssSelector("input[data-secret]"));
    goldSecret = secret.getAttribute("value");
    assertThat(goldSecret).startsWith("whsec_");
    button("Copy secret").click();
    browser.find(By.xpath("//p[normalize-space()='Copied to the clipboard.']"));
    assertThat(browser.clipboard()).isEqualTo(goldSecret);

    new Select(control("Event type")).selectByValue("call.started");
    button("Send test event").click();
    WebElement outcome = browser.find(By.cssSelector(".test-result [data-outcome]"));
    assertThat(outcome.getAttribute("data-outcome")).isEqualTo("succeeded");
    assertThat(outcome.getText()).startsWith("Delivered: 200 OK in ").contains("Response body (start)", "ok");
    browser.screenshots("endpoint", true);

    List<Receiver.Received> got = receiver.received("/gold");
    assertThat(got).hasSize(1);
    String testId = got.get(0).header(WebhookSignature.ID_HEADER);
    assertThat(testId).startsWith("evt_test_");
    assertThat(outcome.getText()).contains(testId + " (call.started)");
    assertThat(JSON.readTree(got.get(0).body()).get("event_type").asText()).isEqualTo("call.started");
    // the secret the page copied is the one that signs
    assertThat(verifies(goldSecret, got.get(0))).isTrue();

    // shown once: gone after a reload, and never kept in the browser's storage
    browser.driver().navigate().refresh();
    browser.find(By.xpath("//h2[normalize-space()='Send a test event']"));
    assertThat(browser.driver().findElements(By.cssSelector("input[data-secret]"))).isEmpty();
    assertThat(browser.script("return Object.keys(sessionStorage);")).isEqualTo(List.of("webhooks.console.session"));
    assertThat(String.valueOf(browser.script("return sessionStorage.getItem('webhooks.console.session');")))
        .contains(key).doesNotContain("whsec_");
    assertThat(browser.script("return localStorage.length + document.cookie.length;")).isEqualTo(0L);
  }

  @Test
  @Order(3)
  void publishedEventsReachTheReceiverExactlyAsTheFilterCheckSaid() throws Exception {
    // a second endpoint, for every event type, with a custom header and a rate limit
    browser.find(By.linkText("Endpoints")).click();
    browser.find(By.linkText("Add endpoint")).click();
    control("Endpoint URL").sendKeys(receiver.url("/crm"));
    control("Description (optional)").sendKeys("CRM sync");
    button("Select all").click();
    button("Add header").click();
    active().sendKeys("X-Team");
    control("Header 1 value").sendKeys("crm");
    control("Rate limit (optional)").sendKeys("50");
    button("Add endpoint").click();
    browser.find(By.xpath("//h1[normalize-space()='" + receiver.url("/crm") + "']"));
    crmId = browser.driver().getCurrentUrl().substring((origin + "/#/endpoints/").length());
    button("I have saved it").click();
    JsonNode crm = JSON.readTree(get("/v1/webhooks/" + crmId, key).body());
    assertThat(crm.get("headers").get("X-Team").asText()).isEqualTo("crm");
    assertThat(crm.get("rate_limit").asInt()).isEqualTo(50);
    assertThat(crm.get("event_types")).hasSize(8);

    browser.find(By.linkText("Endpoints")).click();
    browser.until(d -> rows().size() == 2);
    assertThat(rows()).containsKeys(goldId, crmId);
    assertThat(rows().get(goldId)).contains(receiver.url("/gold"), "Gold customers' calls", "call.started",
        "call.completed", "Filtered: " + GOLD_FILTER, "Enabled");
    assertThat(rows().get(crmId)).contains(receiver.url("/crm"), "CRM sync", "All event types", "Enabled");
    browser.screenshots("endpoints", true);

    // every example event of this account, one more call.started of a silver customer, and one of another account
    Map<String, ObjectNode> events = new LinkedHashMap<>();
    for (String type : EventTypes.ALL) {
      events.put("evt_console_" + type, example(type, "evt_console_" + type, ACCOUNT));
    }
    ObjectNode silver = example("call.started", "evt_console_silver", ACCOUNT);
    ((ObjectNode) silver.get("data").get("customer")).put("tier", "silver");
    events.put("evt_console_silver", silver);
    events.put("evt_console_other_account", example("call.started", "evt_console_other_account", OTHER_ACCOUNT));
    publish(events.values());

    Set<String> ours = new TreeSet<>(events.keySet());
    ours.remove("evt_console_other_account");
    await().atMost(WAIT).until(() -> receivedIds("/crm").containsAll(ours));
    // every event's tasks are written in one transaction: all of them are visible now
    assertThat(taskEventIds(goldId)).containsExactly("evt_console_call.started");
    assertThat(taskEventIds(crmId)).isEqualTo(ours);
    await().atMost(WAIT).until(() -> receivedIds("/gold").contains("evt_console_call.started"));
    Set<String> goldTypes = new TreeSet<>();
    for (Receiver.Received r : receiver.received("/gold")) {
      if (!r.header(WebhookSignature.ID_HEADER).startsWith("evt_test_")) {
        goldTypes.add(JSON.readTree(r.body()).get("event_type").asText());
        assertThat(verifies(goldSecret, r)).isTrue();
      }
    }
    assertThat(goldTypes).isEqualTo(previewDelivered);
    assertThat(receivedIds("/gold")).filteredOn(id -> !id.startsWith("evt_test_"))
        .containsExactly("evt_console_call.started");
    assertThat(receiver.received("/crm")).allSatisfy(r -> assertThat(r.header("x-team")).isEqualTo("crm"));
  }

  @Test
  @Order(4)
  void rotatingTheSecretExplainsTheGracePeriodAndBothSecretsSignMeanwhile() throws Exception {
    browser.find(By.linkText(receiver.url("/gold"))).click();
    button("Rotate secret").click();
    WebElement dialog = browser.find(By.cssSelector("dialog[open]"));
    assertThat(dialog.getText()).contains("keeps signing beside it for a grace period", "24 hours");
    browser.screenshots("rotate-secret", false);
    // Escape cancels: nothing rotated
    active().sendKeys(Keys.ESCAPE);
    browser.until(d -> d.findElements(By.cssSelector("dialog")).isEmpty());
    assertThat(browser.driver().findElements(By.cssSelector("input[data-secret]"))).isEmpty();

    button("Rotate secret").click();
    browser.find(By.cssSelector("dialog[open]"));
    browser.find(By.cssSelector("dialog[open] button.primary")).click();
    WebElement secret = browser.find(By.cssSelector("input[data-secret]"));
    String newSecret = secret.getAttribute("value");
    assertThat(newSecret).startsWith("whsec_").isNotEqualTo(goldSecret);
    String expireAt = browser.find(By.cssSelector("[data-previous-expire-at]")).getAttribute("data-previous-expire-at");
    assertThat(browser.find(By.cssSelector("[data-previous-expire-at]")).getText())
        .startsWith("Secret rotated. The previous secret keeps signing beside this one until ");
    assertThat(java.time.Instant.parse(expireAt)).isAfter(java.time.Instant.now().plus(Duration.ofHours(23)));
    assertThat(active().getText()).isEqualTo("Copy secret");
    button("Copy secret").click();
    browser.find(By.xpath("//p[normalize-space()='Copied to the clipboard.']"));
    assertThat(browser.clipboard()).isEqualTo(newSecret);

    int before = receiver.received("/gold").size();
    button("Send test event").click();
    browser.until(d -> d.findElement(By.cssSelector(".test-result")).getText().startsWith("Delivered: 200 OK"));
    List<Receiver.Received> got = receiver.received("/gold");
    assertThat(got).hasSize(before + 1);
    Receiver.Received during = got.get(got.size() - 1);
    assertThat(during.header(WebhookSignature.SIGNATURE_HEADER).split(" ")).hasSize(2);
    assertThat(verifies(goldSecret, during)).isTrue();
    assertThat(verifies(newSecret, during)).isTrue();
  }

  @Test
  @Order(5)
  void aDisabledEndpointGetsNothingAndADeletedOneIsGone() throws Exception {
    button("Disable endpoint").click();
    browser.until(d -> d.findElement(By.cssSelector(".page-head [data-state]")).getAttribute("data-state")
        .equals("disabled"));
    assertThat(browser.find(By.id("toast")).getText()).isEqualTo("Endpoint disabled: nothing is delivered to it.");
    assertThat(button("Enable endpoint").isDisplayed()).isTrue();
    assertThat(JSON.readTree(get("/v1/webhooks/" + goldId, key).body()).get("enabled").asBoolean()).isFalse();

    awaitSubscriptionsReadByTheDataPath();
    publish(List.of(example("call.started", "evt_console_while_disabled", ACCOUNT)));
    await().atMost(WAIT).until(() -> receivedIds("/crm").contains("evt_console_while_disabled"));
    assertThat(taskEventIds(goldId)).doesNotContain("evt_console_while_disabled");
    assertThat(receivedIds("/gold")).doesNotContain("evt_console_while_disabled");

    browser.find(By.linkText("Endpoints")).click();
    browser.until(d -> rows().size() == 2);
    assertThat(rows().get(goldId)).contains("Disabled");
    browser.find(By.linkText(receiver.url("/gold"))).click();
    button("Delete endpoint").click();
    WebElement dialog = browser.find(By.cssSelector("dialog[open]"));
    assertThat(dialog.getText()).contains(receiver.url("/gold"), "This cannot be undone.");
    browser.screenshots("delete-endpoint", false);
    browser.find(By.cssSelector("dialog[open] button.danger")).click();

    browser.find(By.xpath("//h1[normalize-space()='Endpoints']"));
    browser.until(d -> rows().size() == 1);
    assertThat(rows()).containsOnlyKeys(crmId);
    assertThat(browser.find(By.id("toast")).getText()).isEqualTo("Endpoint deleted.");
    assertThat(get("/v1/webhooks/" + goldId, key).statusCode()).isEqualTo(404);
  }

  @Test
  @Order(6)
  void anotherAccountsKeySeesNoneOfTheseEndpointsAndAnOperatorKeyActsForTheAccountItNames() throws Exception {
    button("Sign out").click();
    browser.find(By.xpath("//h1[normalize-space()='Sign in to the webhooks console']"));
    assertThat(browser.script("return sessionStorage.length;")).isEqualTo(0L);

    control("API key").sendKeys("whk_not_a_key");
    button("Sign in").click();
    WebElement keyError = browser.find(By.cssSelector("[data-field='key'] .field-error"));
    browser.until(d -> keyError.isDisplayed());
    assertThat(keyError.getText()).isEqualTo("This key was refused: it is unknown, mistyped or revoked.");
    expectedHttpErrors.add("401 /v1/webhooks");

    control("API key").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    control("API key").sendKeys(otherKey);
    button("Sign in").click();
    browser.find(By.xpath("//h2[normalize-space()='No endpoints yet']"));
    assertThat(browser.driver().getPageSource()).doesNotContain(crmId, receiver.url("/crm"), goldId);
    // nor by its address
    browser.open(origin + "/#/endpoints/" + crmId);
    browser.find(By.xpath("//h1[normalize-space()='No such endpoint']"));
    assertThat(browser.driver().getPageSource()).doesNotContain(receiver.url("/crm"));
    expectedHttpErrors.add("404 /v1/webhooks/" + crmId);

    button("Sign out").click();
    browser.find(By.xpath("//label[normalize-space()='Operator key, acting for one account']")).click();
    control("API key").sendKeys(operatorKey);
    control("Account id").sendKeys(ACCOUNT);
    button("Sign in").click();
    browser.find(By.xpath("//h1[normalize-space()='Endpoints']"));
    browser.until(d -> rows().size() == 1);
    assertThat(rows()).containsOnlyKeys(crmId);
    assertThat(browser.driver().findElement(By.id("who-text")).getText()).isEqualTo("Operator, acting for " + ACCOUNT);
  }


  @Test
  @Order(7)
  void theAlertsPageSendsOperationalEventsToANewEndpoint() throws Exception {
    button("Sign out").click();
    browser.find(By.xpath("//h1[normalize-space()='Sign in to the webhooks console']"));
    control("API key").sendKeys(key, Keys.ENTER);
    browser.find(By.xpath("//h1[normalize-space()='Endpoints']"));

    browser.find(By.linkText("Alerts")).click();
    browser.find(By.xpath("//h1[normalize-space()='Alerts']"));
    assertThat(browser.find(By.cssSelector("[data-empty='alerts']")).getText()).isEqualTo("No endpoint receives alerts yet.");
    assertThat(new Select(control("Endpoint that receives alerts")).getFirstSelectedOption().getText())
        .isEqualTo("A new endpoint, at this URL:");
    control("Alert endpoint URL").sendKeys(receiver.url("/alerts"));
    assertThat(browser.driver().findElements(By.cssSelector("input[name='alert_types']:checked"))).hasSize(4);
    browser.screenshots("alerts", true);
    button("Send alerts there").click();

    browser.find(By.xpath("//h1[normalize-space()='" + receiver.url("/alerts") + "']"));
    alertId = browser.driver().getCurrentUrl().substring((origin + "/#/endpoints/").length());
    alertSecret = browser.find(By.cssSelector("input[data-secret]")).getAttribute("value");
    assertThat(alertSecret).startsWith("whsec_");
    button("I have saved it").click();
    JsonNode alert = JSON.readTree(get("/v1/webhooks/" + alertId, key).body());
    assertThat(alert.get("event_types")).extracting(JsonNode::asText)
        .containsExactlyInAnyOrder("endpoint.failing", "endpoint.recovered", "endpoint.disabled", "message.attempt.exhausted");

    browser.find(By.linkText("Alerts")).click();
    browser.until(d -> !d.findElements(By.cssSelector("table.alert-endpoints tr[data-id='" + alertId + "']")).isEmpty());
    assertThat(browser.find(By.cssSelector("table.alert-endpoints tr[data-id='" + alertId + "']")).getText())
        .contains(receiver.url("/alerts"), "endpoint.failing", "message.attempt.exhausted");
  }

  @Test
  @Order(8)
  void publishedEventsAppearInTheAttemptsTableAndTheCharts() throws Exception {
    browser.find(By.linkText("Endpoints")).click();
    browser.find(By.linkText("Add endpoint")).click();
    control("Endpoint URL").sendKeys(receiver.url("/flaky"));
    control("Description (optional)").sendKeys("Billing");
    button("Select all").click();
    button("Add endpoint").click();
    browser.find(By.xpath("//h1[normalize-space()='" + receiver.url("/flaky") + "']"));
    flakyId = browser.driver().getCurrentUrl().substring((origin + "/#/endpoints/").length());
    button("I have saved it").click();
    assertThat(browser.find(By.cssSelector("[data-health]")).getAttribute("data-health")).isEqualTo("no_attempts");

    beforeMonitoring = Instant.now();
    List<ObjectNode> ok = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      ok.add(example("call.completed", "evt_mon_ok_" + i, ACCOUNT));
    }
    publish(ok);
    await().atMost(WAIT).until(() -> receivedIds("/flaky").containsAll(List.of("evt_mon_ok_1", "evt_mon_ok_2", "evt_mon_ok_3")));
    // the attempts are indexed by delivery-stats after the receiver answered: wait for the API to have them
    await().atMost(WAIT).until(() -> attempts(flakyId, "").size() == 3);

    button("Show attempts").click();
    browser.until(d -> attemptRows().size() == 3);
    assertThat(attemptRows()).containsOnlyKeys("evt_mon_ok_1", "evt_mon_ok_2", "evt_mon_ok_3")
        .allSatisfy((id, text) -> assertThat(text).contains("call.completed", "succeeded", "200"));
    // the filters: another event type matches none; a time range before these events none, from them all three
    new Select(control("Filter by event type")).selectByValue("call.started");
    button("Show attempts").click();
    browser.until(d -> d.findElement(By.xpath("//p[normalize-space()='No attempts match.']")).isDisplayed());
    assertThat(attemptRows()).isEmpty();
    new Select(control("Filter by event type")).selectByValue("call.completed");
    control("To (ISO-8601)").sendKeys(beforeMonitoring.minusSeconds(1).toString());
    button("Show attempts").click();
    browser.until(d -> d.findElement(By.xpath("//p[normalize-space()='No attempts match.']")).isDisplayed());
    control("To (ISO-8601)").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    control("From (ISO-8601)").sendKeys(beforeMonitoring.toString());
    button("Show attempts").click();
    browser.until(d -> attemptRows().size() == 3);
    // a time the API cannot read: its own message, beside the field
    control("From (ISO-8601)").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    control("From (ISO-8601)").sendKeys("yesterday");
    button("Show attempts").click();
    WebElement sinceError = browser.find(By.cssSelector("[data-panel='attempts'] [data-field='since'] .field-error"));
    browser.until(d -> sinceError.isDisplayed());
    assertThat(sinceError.getText()).startsWith("since");
    assertThat(active()).isEqualTo(control("From (ISO-8601)"));
    expectedHttpErrors.add("400 /v1/webhooks/" + flakyId + "/attempts");
    control("From (ISO-8601)").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    button("Show attempts").click();
    browser.until(d -> !sinceError.isDisplayed());

    button("Refresh charts").click();
    browser.until(d -> "3".equals(d.findElement(By.cssSelector(".figures")).getAttribute("data-attempts")));
    assertThat(figure("success-rate")).isEqualTo("100 %");
    assertThat(figure("p95")).endsWith(" ms");
    // uPlot drew both charts (success rate; latency with p50, p95 and p99) in canvases
    assertThat(browser.driver().findElements(By.cssSelector("[data-panel='stats'] .chart canvas"))).hasSize(2);
    assertThat(browser.find(By.cssSelector("[data-panel='stats'] .chart[aria-label^='Latency']")).getText())
        .contains("p50", "p95", "p99");
    // another window, chosen with the keyboard: the arrow key moves the choice from 24 hours to 1 hour
    WebElement chosen = browser.find(By.cssSelector("[data-panel='stats'] .segmented input:checked"));
    browser.script("arguments[0].focus();", chosen);
    active().sendKeys(Keys.ARROW_LEFT);
    browser.until(d -> "1h".equals(d.findElement(By.cssSelector(".figures")).getAttribute("data-window")));
    assertThat(browser.find(By.cssSelector(".figures")).getAttribute("data-attempts")).isEqualTo("3");
  }

  @Test
  @Order(9)
  void aFailingReceiverShowsItsFailuresTheSuccessRateFallsAndTheAlertArrives() throws Exception {
    receiver.answer("/flaky", new Receiver.Status(503, "maintenance"));
    List<ObjectNode> failing = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      failing.add(example("call.completed", "evt_mon_fail_" + i, ACCOUNT));
    }
    publish(failing);

    // each delivery: the first attempt and its one retry answered 503, then given up on
    await().atMost(WAIT).until(() -> attempts(flakyId, "?outcome=http_error").size() == 8);
    // endpoint.failing, signed with the alert endpoint's secret, about this endpoint
    await().atMost(WAIT).until(() -> alertsAbout(flakyId, "endpoint.failing").size() == 1);
    Receiver.Received alert = alertsAbout(flakyId, "endpoint.failing").get(0);
    assertThat(verifies(alertSecret, alert)).isTrue();
    JsonNode alertBody = JSON.readTree(alert.body());
    assertThat(alertBody.get("data").get("url").asText()).isEqualTo(receiver.url("/flaky"));
    assertThat(alertBody.get("data").get("last_status_code").asInt()).isEqualTo(503);
    // and one message.attempt.exhausted per delivery given up on
    await().atMost(WAIT).until(() -> alertsAbout(flakyId, "message.attempt.exhausted").size() == 4);
    Set<String> exhausted = new TreeSet<>();
    for (Receiver.Received r : alertsAbout(flakyId, "message.attempt.exhausted")) {
      assertThat(verifies(alertSecret, r)).isTrue();
      exhausted.add(JSON.readTree(r.body()).get("data").get("message_event_id").asText());
    }
    assertThat(exhausted).containsExactly("evt_mon_fail_1", "evt_mon_fail_2", "evt_mon_fail_3", "evt_mon_fail_4");
    await().atMost(WAIT).until(() -> JSON.readTree(get("/v1/webhooks/" + flakyId + "/stats?window=24h", key).body())
        .get("total").get("attempts").asInt() == 11);
    await().atMost(WAIT).until(() -> JSON.readTree(get("/v1/webhooks/" + flakyId + "/health", key).body())
        .get("status").asText().equals("failing"));

    // the page: only failures when asked, each 503, the last of each delivery final
    WebElement failedOnly = browser.find(By.xpath("//label[normalize-space()='Failed only']"));
    failedOnly.click();
    button("Show attempts").click();
    browser.until(d -> attemptRows().size() == 4 && attemptRows().keySet().stream().allMatch(id -> id.startsWith("evt_mon_fail_")));
    assertThat(browser.driver().findElements(By.cssSelector("table.attempts tbody tr"))).hasSize(8)
        .allSatisfy(tr -> assertThat(tr.getText()).contains("http error", "503"));
    button("Refresh charts").click();
    browser.until(d -> "11".equals(d.findElement(By.cssSelector(".figures")).getAttribute("data-attempts")));
    assertThat(figure("success-rate")).isEqualTo("27.3 %");
    assertThat(figure("failed")).isEqualTo("8");
    // the page's head says it is failing, and why
    browser.until(d -> "failing".equals(d.findElement(By.cssSelector(".page-head [data-health]")).getAttribute("data-health")));
    assertThat(browser.find(By.cssSelector(".page-head [data-health]")).getText()).contains("Failing", "below 50%");

    // the details of the last attempt of one delivery: its answer and that nothing follows
    WebElement last = browser.find(By.cssSelector("table.attempts tbody tr[data-event-id='evt_mon_fail_1']"));
    // its request is found by attempt id, which delivery-stats indexes a moment after listing it
    String lastId = last.getAttribute("data-attempt-id");
    await().atMost(WAIT).until(() -> get("/v1/attempts/" + lastId, key).statusCode() == 200);
    last.findElement(By.tagName("button")).sendKeys(Keys.ENTER);
    WebElement detail = browser.find(By.cssSelector(".attempt-detail"));
    assertThat(active().getText()).isEqualTo("Attempt 2 of evt_mon_fail_1");
    assertThat(detail.getText()).contains("503 Service Unavailable", "http error", "maintenance",
        "None: this was the last attempt of the delivery", "POST " + receiver.url("/flaky"));
    // the request as sent: the body byte for byte what the receiver got, and its headers
    browser.until(d -> !d.findElements(By.cssSelector(".attempt-detail pre.request-body")).isEmpty());
    List<Receiver.Received> gotFail1 = receiver.received("/flaky").stream()
        .filter(r -> "evt_mon_fail_1".equals(r.header("webhook-id"))).toList();
    assertThat(gotFail1).hasSize(2);
    Receiver.Received lastGot = gotFail1.get(1);
    assertThat(browser.find(By.cssSelector(".attempt-detail pre.request-body")).getDomProperty("textContent"))
        .isEqualTo(new String(lastGot.body(), java.nio.charset.StandardCharsets.UTF_8));
    for (String name : List.of("webhook-id", "webhook-timestamp", "webhook-signature", "content-type")) {
      WebElement headerRow = browser.find(By.cssSelector(".request-headers tr[data-header='" + name + "']"));
      assertThat(headerRow.findElements(By.tagName("td")).get(1).getDomProperty("textContent")).as(name)
          .isEqualTo(lastGot.header(name));
      assertThat(headerRow.getText()).as(name).endsWith("exact");
    }
    // why each endpoint of the account did or did not get the event (once the index has the crm's attempt too)
    await().atMost(WAIT).until(() -> {
      JsonNode e = JSON.readTree(get("/v1/events/evt_mon_fail_1/attempts", key).body());
      return e.has("attempts") && e.get("attempts").size() == 3 && e.get("verdicts").size() == 3;
    });
    button("Which endpoints got this event").click();
    browser.until(d -> d.findElements(By.cssSelector(".verdict-list li")).size() == 3);
    Map<String, String> verdicts = new LinkedHashMap<>();
    for (WebElement li : browser.driver().findElements(By.cssSelector(".verdict-list li"))) {
      verdicts.put(li.getAttribute("data-subscription-id"), li.getText());
    }
    assertThat(verdicts).containsOnlyKeys(crmId, flakyId, alertId);
    assertThat(verdicts.get(flakyId)).endsWith("Delivered; 2 attempts");
    assertThat(verdicts.get(crmId)).endsWith("Delivered; 1 attempt");
    assertThat(verdicts.get(alertId)).endsWith("Not delivered: it does not select this event type");
    browser.screenshots("attempt-detail", true);

    // the endpoints list: the 24 h success rate fell, and the endpoint is failing
    browser.find(By.linkText("Endpoints")).click();
    browser.until(d -> rows().containsKey(flakyId) && rows().get(flakyId).contains("Failing"));
    assertThat(rows().get(flakyId)).contains("27.3 %", "of 11", "Enabled", "Failing", "below 50%");
    assertThat(rows().get(alertId)).contains("endpoint.failing");
    browser.screenshots("endpoints-monitoring", true);
  }

  @Test
  @Order(10)
  void aFailedAttemptIsResentTheDeadLettersRedeliveredAndTheEventsReplayed() throws Exception {
    receiver.answer("/flaky", new Receiver.Status(200, "ok"));
    browser.find(By.linkText(receiver.url("/flaky"))).click();
    browser.find(By.xpath("//label[normalize-space()='Failed only']")).click();
    button("Show attempts").click();
    browser.until(d -> attemptRows().containsKey("evt_mon_fail_1"));
    browser.find(By.cssSelector("table.attempts tbody tr[data-event-id='evt_mon_fail_1'] button")).click();
    Receiver.Received failed = receiver.received("/flaky").stream()
        .filter(r -> r.header(WebhookSignature.ID_HEADER).equals("evt_mon_fail_1")).findFirst().orElseThrow();
    button("Resend").click();
    browser.find(By.cssSelector(".attempt-detail [data-resent]"));
    assertThat(browser.find(By.cssSelector(".attempt-detail [data-resent]")).getText())
        .startsWith("Sent again: event evt_mon_fail_1 is queued");
    // the receiver gets it again, the same event: the same webhook-id and body
    await().atMost(WAIT).until(() -> count("/flaky", "evt_mon_fail_1") == 3);
    Receiver.Received again = last("/flaky", "evt_mon_fail_1");
    assertThat(again.body()).isEqualTo(failed.body());

    // the dead letters: the deliveries given up on, less the one just sent again with success
    await().atMost(WAIT).until(() -> attempts(flakyId, "?outcome=succeeded").stream()
        .anyMatch(a -> a.get("event_id").asText().equals("evt_mon_fail_1")));
    button("Refresh dead letters").click();
    browser.until(d -> deadLetters().equals(Set.of("evt_mon_fail_2", "evt_mon_fail_3", "evt_mon_fail_4")));
    browser.screenshots("dead-letters", true);
    Map<String, Long> before = counts("/flaky");
    button("Redeliver all 3").click();
    WebElement recovered = browser.find(By.cssSelector("[data-panel='dead-letters'] [data-recovered]"));
    assertThat(recovered.getAttribute("data-recovered")).isEqualTo("3");
    await().atMost(WAIT).until(() -> List.of(2, 3, 4).stream()
        .allMatch(i -> count("/flaky", "evt_mon_fail_" + i) == before.get("evt_mon_fail_" + i) + 1));
    assertThat(count("/flaky", "evt_mon_fail_1")).isEqualTo(before.get("evt_mon_fail_1"));
    // each once: asked again, nothing more is sent
    button("Redeliver all 3").click();
    browser.until(d -> d.findElement(By.cssSelector("[data-panel='dead-letters'] [data-recovered]"))
        .getAttribute("data-recovered").equals("0"));

    // replay since the first of these events: the seven published since then, each once more
    Map<String, Long> beforeReplay = counts("/flaky");
    WebElement since = control("Since (ISO-8601)");
    since.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    since.sendKeys(beforeMonitoring.toString());
    button("Replay events").click();
    WebElement replayed = browser.find(By.cssSelector("[data-replayed]"));
    assertThat(replayed.getAttribute("data-replayed")).isEqualTo("7");
    List<String> seven = List.of("evt_mon_ok_1", "evt_mon_ok_2", "evt_mon_ok_3", "evt_mon_fail_1", "evt_mon_fail_2",
        "evt_mon_fail_3", "evt_mon_fail_4");
    await().atMost(WAIT).until(() -> seven.stream().allMatch(id -> count("/flaky", id) == beforeReplay.get(id) + 1));
    browser.screenshots("recovery", true);
    assertThat(receivedIds("/flaky")).allMatch(seven::contains);

    // every attempt, a page of 20 at a time: 3 + 8 failed + 1 resent + 3 recovered + 7 replayed
    await().atMost(WAIT).until(() -> attempts(flakyId, "").size() == 22);
    browser.find(By.xpath("//label[normalize-space()='Failed only']")).click();
    button("Show attempts").click();
    browser.until(d -> d.findElements(By.cssSelector("table.attempts tbody tr")).size() == 20);
    Set<String> firstPage = attemptIdsShown();
    button("Older attempts").click();
    browser.until(d -> d.findElements(By.cssSelector("table.attempts tbody tr")).size() == 2);
    Set<String> all = new TreeSet<>(firstPage);
    all.addAll(attemptIdsShown());
    assertThat(all).hasSize(22);
    button("Newer attempts").click();
    browser.until(d -> attemptIdsShown().equals(firstPage));

    // 14 of 22 succeeded now: endpoint.recovered reaches the alert endpoint, and the page says healthy
    await().atMost(WAIT).until(() -> alertsAbout(flakyId, "endpoint.recovered").size() == 1);
    assertThat(verifies(alertSecret, alertsAbout(flakyId, "endpoint.recovered").get(0))).isTrue();
    button("Refresh charts").click();
    browser.until(d -> "healthy".equals(d.findElement(By.cssSelector(".page-head [data-health]")).getAttribute("data-health")));
    browser.until(d -> "22".equals(d.findElement(By.cssSelector(".figures")).getAttribute("data-attempts")));
    assertThat(figure("success-rate")).isEqualTo("63.6 %");
  }

  @Test
  @Order(11)
  void alertsGoToAnExistingEndpointToo() throws Exception {
    browser.find(By.linkText("Alerts")).click();
    browser.find(By.xpath("//h1[normalize-space()='Alerts']"));
    new Select(control("Endpoint that receives alerts")).selectByValue(crmId);
    assertThat(control("Alert endpoint URL").isDisplayed()).isFalse();
    browser.find(By.cssSelector("input[name='alert_types'][value='message.attempt.exhausted']")).click();
    button("Send alerts there").click();
    browser.until(d -> d.findElement(By.id("toast")).getText().equals("Alerts are sent there now."));
    browser.until(d -> !d.findElements(By.cssSelector("table.alert-endpoints tr[data-id='" + crmId + "']")).isEmpty());
    JsonNode crm = JSON.readTree(get("/v1/webhooks/" + crmId, key).body());
    Set<String> types = new TreeSet<>();
    crm.get("event_types").forEach(t -> types.add(t.asText()));
    Set<String> expected = new TreeSet<>(EventTypes.ALL);
    expected.addAll(List.of("endpoint.failing", "endpoint.recovered", "endpoint.disabled"));
    assertThat(types).isEqualTo(expected);

    // stopping them keeps its call event types
    browser.find(By.cssSelector("button[aria-label='Stop alerts to " + receiver.url("/crm") + "']")).click();
    browser.until(d -> d.findElements(By.cssSelector("table.alert-endpoints tr[data-id='" + crmId + "']")).isEmpty());
    assertThat(browser.find(By.id("toast")).getText()).isEqualTo("No more alerts are sent there.");
    JsonNode after = JSON.readTree(get("/v1/webhooks/" + crmId, key).body());
    assertThat(after.get("event_types")).extracting(JsonNode::asText).containsExactlyInAnyOrderElementsOf(EventTypes.ALL);
    assertThat(browser.find(By.cssSelector("table.alert-endpoints tr[data-id='" + alertId + "']")).isDisplayed()).isTrue();
  }

  // ---- the page

  private WebElement active() {
    return browser.driver().switchTo().activeElement();
  }

  /** @return the control a label names, as a person finds it */
  private WebElement control(String label) {
    WebElement l = browser.find(By.xpath("//label[normalize-space()=\"" + label + "\"]"));
    return browser.driver().findElement(By.id(l.getAttribute("for")));
  }

  private WebElement button(String text) {
    return browser.find(By.xpath("//button[normalize-space()='" + text + "']"));
  }

  private WebElement eventType(String type) {
    return browser.find(By.cssSelector("input[name='event_types'][value='" + type + "']"));
  }

  /** @return per example event type, the verdict the filter editor shows */
  private Map<String, String> examplesShown() {
    Map<String, String> out = new LinkedHashMap<>();
    for (WebElement li : browser.driver().findElements(By.cssSelector(".examples li"))) {
      out.put(li.getAttribute("data-event-type"), li.findElement(By.cssSelector(".verdict")).getText());
    }
    return out;
  }

  /** @return the rows of the endpoints list: subscription id to the row's text */
  private Map<String, String> rows() {
    Map<String, String> out = new LinkedHashMap<>();
    for (WebElement tr : browser.driver().findElements(By.cssSelector("table.endpoints tbody tr"))) {
      out.put(tr.getAttribute("data-id"), tr.getText());
    }
    return out;
  }

  /** @return the rows of the attempts table: event id to the text of its newest row */
  private Map<String, String> attemptRows() {
    Map<String, String> out = new LinkedHashMap<>();
    for (WebElement tr : browser.driver().findElements(By.cssSelector("table.attempts tbody tr"))) {
      out.putIfAbsent(tr.getAttribute("data-event-id"), tr.getText());
    }
    return out;
  }

  /** @return the attempt ids of the rows of the attempts table */
  private Set<String> attemptIdsShown() {
    return browser.driver().findElements(By.cssSelector("table.attempts tbody tr")).stream()
        .map(tr -> tr.getAttribute("data-attempt-id")).collect(Collectors.toCollection(TreeSet::new));
  }

  /** @return the event ids of the dead letters listed */
  private Set<String> deadLetters() {
    return browser.driver().findElements(By.cssSelector("table.dead-letters tbody tr")).stream()
        .map(tr -> tr.getAttribute("data-event-id")).collect(Collectors.toCollection(TreeSet::new));
  }

  /** @return the value a figure of the deliveries panel shows, e.g. "27.3 %" */
  private String figure(String key) {
    return browser.find(By.cssSelector(".figures [data-figure='" + key + "'] dd")).getText();
  }

  // ---- the platform around it

  /** Runs a command of {@code ./webhooks} against this stack and returns what it printed. */
  private String cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", config.bootstrapServers(), "--registry-url", config.registryUrl(),
        "--topic-prefix", config.topicPrefix()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    assertThat(exit).as(String.join(" ", args) + ": " + err).isZero();
    return out.toString().trim();
  }

  private HttpResponse<String> get(String path, String apiKey) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(origin + path)).header("Authorization", "Bearer " + apiKey)
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static ObjectNode example(String type, String eventId, String account) throws Exception {
    ObjectNode event = (ObjectNode) EndToEndIT.examples().get(type).deepCopy();
    event.put("event_id", eventId);
    event.put("account_id", account);
    return event;
  }

  /**
   * Publishes events with {@code ./webhooks publish}, once the data path has read every subscription
   * written so far (the fanout counts a subscription record once its store holds it).
   */
  private void publish(Iterable<ObjectNode> events) throws Exception {
    awaitSubscriptionsReadByTheDataPath();
    Path file = Files.createTempFile(dir, "events", ".jsonl");
    StringBuilder lines = new StringBuilder();
    for (ObjectNode e : events) {
      lines.append(JSON.writeValueAsString(e)).append('\n');
    }
    Files.writeString(file, lines, StandardCharsets.UTF_8);
    cli("publish", "--file", file.toString());
  }

  private void awaitSubscriptionsReadByTheDataPath() throws Exception {
    int written = TopicReader.readAll(config, config.topics().subscriptions().name(), new ByteArrayDeserializer())
        .size();
    FanoutService fanout = (FanoutService) host.services().stream().filter(s -> s instanceof FanoutService)
        .findFirst().orElseThrow();
    await().atMost(WAIT).until(() -> fanout.metrics().subscriptionUpdates() >= written);
    DeliveryWorker worker = (DeliveryWorker) host.services().stream().filter(s -> s instanceof DeliveryWorker)
        .findFirst().orElseThrow();
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
  }

  private Set<String> taskEventIds(String subscriptionId) {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
            config.topics().deliveries().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).filter(t -> t.getSubscriptionId().equals(subscriptionId))
        .map(DeliveryTask::getEventId).collect(Collectors.toCollection(TreeSet::new));
  }

  /** @return the attempt records the API lists for an endpoint, with a query such as {@code ?outcome=...} */
  private List<JsonNode> attempts(String subscriptionId, String query) throws Exception {
    HttpResponse<String> r = get("/v1/webhooks/" + subscriptionId + "/attempts" + query
        + (query.isEmpty() ? "?" : "&") + "limit=500", key);
    assertThat(r.statusCode()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).get("data").forEach(out::add);
    return out;
  }

  /** @return the operational events of a type about an endpoint that the alert endpoint received */
  private List<Receiver.Received> alertsAbout(String subscriptionId, String type) throws Exception {
    List<Receiver.Received> out = new ArrayList<>();
    for (Receiver.Received r : receiver.received("/alerts")) {
      JsonNode body = JSON.readTree(r.body());
      if (body.get("event_type").asText().equals(type)
          && body.get("data").get("endpoint_id").asText().equals(subscriptionId)) {
        out.add(r);
      }
    }
    return out;
  }

  private long count(String path, String eventId) {
    return receivedIds(path).stream().filter(eventId::equals).count();
  }

  private Map<String, Long> counts(String path) {
    return receivedIds(path).stream().collect(Collectors.groupingBy(id -> id, Collectors.counting()));
  }

  private Receiver.Received last(String path, String eventId) {
    List<Receiver.Received> got = receiver.received(path).stream()
        .filter(r -> r.header(WebhookSignature.ID_HEADER).equals(eventId)).toList();
    return got.get(got.size() - 1);
  }

  private List<String> receivedIds(String path) {
    return receiver.received(path).stream().map(r -> r.header(WebhookSignature.ID_HEADER)).toList();
  }

  private static boolean verifies(String secret, Receiver.Received r) {
    return WebhookSignature.verify(secret, r.header(WebhookSignature.ID_HEADER),
        r.header(WebhookSignature.TIMESTAMP_HEADER), r.body(), r.header(WebhookSignature.SIGNATURE_HEADER));
  }
}
