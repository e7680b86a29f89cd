package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.webhooks.schemas.WebhooksConfig.SettingException;

/** Settings: flag over variable over default, Kafka pass-through, bad values named by flag and variable. */
class WebhooksConfigTest {

  @Test
  void flag_wins_over_variable_which_wins_over_default() {
    Map<String, String> env = Map.of("WEBHOOKS_HTTP_TIMEOUT", "30s", "WEBHOOKS_PARTITIONS", "12");

    WebhooksConfig flagged = WebhooksConfig.resolve(Map.of(Setting.HTTP_TIMEOUT, "5s"), env, List.of());
    WebhooksConfig fromEnv = WebhooksConfig.resolve(Map.of(), env, List.of());
    WebhooksConfig defaults = WebhooksConfig.resolve(Map.of(), Map.of(), List.of());

    assertThat(flagged.httpTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(flagged.partitions()).isEqualTo(12);
    assertThat(fromEnv.httpTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.httpTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(defaults.partitions()).isEqualTo(6);
  }

  @Test
  void an_empty_flag_still_wins_over_the_variable() {
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(Setting.TOPIC_PREFIX, ""),
        Map.of("WEBHOOKS_TOPIC_PREFIX", "env-"), List.of());

    assertThat(config.topicPrefix()).isEmpty();
  }

  @Test
  void defaults_are_those_of_the_settings_table() {
    WebhooksConfig config = WebhooksConfig.defaults();

    for (Setting s : Setting.values()) {
      assertThat(config.get(s)).as(s.name()).isEqualTo(s.defaultValue());
    }
    assertThat(config.bootstrapServers()).isEmpty();
    assertThat(config.registryUrl()).isEmpty();
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.kafkaPort()).isEqualTo(9092);
    assertThat(config.controllerPort()).isEqualTo(9093);
    assertThat(config.registryPort()).isEqualTo(8081);
    assertThat(config.maxInFlight()).isEqualTo(512);
    assertThat(config.maxInFlightPerEndpoint()).isEqualTo(32);
    assertThat(config.maxEventBytes()).isEqualTo(1024 * 1024);
    assertThat(config.retrySchedule().maxAttempts()).isEqualTo(10);
    assertThat(config.dataDir().toString()).isEqualTo("./data");
    assertThat(config.kafkaProperties()).isEmpty();
    assertThat(config.attemptRetention()).isEqualTo(Duration.ofDays(30));
    assertThat(config.failingWindow()).isEqualTo(Duration.ofMinutes(15));
    assertThat(config.failingMinAttempts()).isEqualTo(10);
    assertThat(config.failingSuccessRate()).isEqualTo(0.5);
    assertThat(config.failingCircuitOpen()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.autoDisableAfter()).isEqualTo(Duration.ofDays(5));
    assertThat(config.with(Setting.AUTO_DISABLE_AFTER, "0s").autoDisableAfter()).isZero();
    assertThat(config.internalToken()).isEmpty();
  }

  @Test
  void flags_and_variables_are_named_from_the_setting() {
    assertThat(Setting.MAX_IN_FLIGHT_PER_ENDPOINT.flag()).isEqualTo("--max-in-flight-per-endpoint");
    assertThat(Setting.MAX_IN_FLIGHT_PER_ENDPOINT.envName()).isEqualTo("WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT");
    assertThat(Setting.ALLOWED_TARGETS.envName()).isEqualTo("WEBHOOKS_ALLOWED_TARGETS");
  }

  @Test
  void kafka_variables_pass_through_as_client_properties() {
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(Setting.BOOTSTRAP_SERVERS, "broker:9092"),
        Map.of("WEBHOOKS_KAFKA_SASL_MECHANISM", "PLAIN", "WEBHOOKS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
            "PATH", "/usr/bin", "KAFKA_HEAP_OPTS", "-Xmx1g"),
        List.of());

    assertThat(config.kafkaProperties()).containsExactlyInAnyOrderEntriesOf(
        Map.of("sasl.mechanism", "PLAIN", "security.protocol", "SASL_SSL"));
    Properties props = KafkaClients.common(config);
    assertThat(props).containsEntry("sasl.mechanism", "PLAIN").containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("bootstrap.servers", "broker:9092").hasSize(3);
  }

  @Test
  void kafka_flags_pass_through_and_win_over_variables() {
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(),
        Map.of("WEBHOOKS_KAFKA_SASL_MECHANISM", "PLAIN"),
        List.of("sasl.mechanism=SCRAM-SHA-512", "sasl.jaas.config=a=b c=\"d\";"));

    assertThat(config.kafkaProperties())
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", "a=b c=\"d\";");
  }

  @Test
  void the_embedded_broker_port_variable_is_a_setting_not_a_client_property() {
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(), Map.of("WEBHOOKS_KAFKA_PORT", "19092"), List.of());

    assertThat(config.kafkaPort()).isEqualTo(19092);
    assertThat(config.kafkaProperties()).doesNotContainKey("port");
  }

  @Test
  void a_kafka_flag_without_key_and_value_is_refused() {
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(), Map.of(), List.of("sasl.mechanism")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka")
        .hasMessageContaining("'sasl.mechanism'");
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(), Map.of(), List.of("=PLAIN")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--kafka");
  }

  @ParameterizedTest
  @CsvSource({
      "HTTP_TIMEOUT,fast,'fast'",
      "HTTP_TIMEOUT,0s,more than 0",
      "RETRY_SCHEDULE,'0s,1m,oops',oops",
      "HTTP_PORT,http,'http'",
      "HTTP_PORT,70000,0..65535",
      "PARTITIONS,0,1..10000",
      "MAX_IN_FLIGHT,-1,'-1'",
      "MAX_IN_FLIGHT_PER_ENDPOINT,lots,'lots'",
      "MAX_EVENT_BYTES,1mb,'1mb'",
      "MAX_EVENT_BYTES,1023,1024..67108864",
      "MAX_EVENT_BYTES,67108865,1024..67108864",
      "KAFKA_PORT,x,'x'",
      "CONTROLLER_PORT,99999,'99999'",
      "REGISTRY_PORT,'',not a whole number",
      "ALLOWED_TARGETS,'receiver.test,host:8080','host:8080'",
      "ATTEMPT_RETENTION,30,'30'",
      "ATTEMPT_RETENTION,10s,shorter than 1m",
      "FAILING_WINDOW,500ms,shorter than 1s",
      "FAILING_MIN_ATTEMPTS,0,1..1000000",
      "FAILING_SUCCESS_RATE,1.5,0..1",
      "FAILING_SUCCESS_RATE,half,not a number",
      "FAILING_CIRCUIT_OPEN,soon,'soon'",
      "AUTO_DISABLE_AFTER,1s,shorter than 2s"})
  void a_bad_value_names_the_flag_and_the_variable(Setting setting, String value, String problem) {
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(), Map.of(setting.envName(), value), List.of()))
        .isInstanceOf(SettingException.class)
        .hasMessageContaining(setting.flag())
        .hasMessageContaining(setting.envName())
        .hasMessageContaining(problem);
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(setting, value), Map.of(), List.of()))
        .isInstanceOf(SettingException.class)
        .hasMessageContaining(setting.flag());
  }

  @Test
  void the_record_limits_leave_room_for_the_largest_event_and_what_travels_with_it() {
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(Setting.MAX_EVENT_BYTES, "2097152"), Map.of(), List.of());

    assertThat(config.maxEventBytes()).isEqualTo(2 * 1024 * 1024);
    // an event plus its account id and the record's own headers
    assertThat(KafkaClients.maxCallEventRecordBytes(config.maxEventBytes())).isEqualTo(2 * 1024 * 1024 + 64 * 1024);
    // a task holds the body and the call and account ids again; a dead letter a call-events record
    assertThat(KafkaClients.maxRecordBytes(config.maxEventBytes())).isEqualTo(2 * (2 * 1024 * 1024 + 64 * 1024));
    assertThat(KafkaClients.maxRecordBytes(KafkaClients.MAX_EVENT_BYTES_LIMIT)).isPositive();
  }

  @Test
  void with_replaces_one_setting_and_keeps_the_rest() {
    WebhooksConfig base = WebhooksConfig.resolve(Map.of(Setting.PARTITIONS, "3"),
        Map.of("WEBHOOKS_KAFKA_ACKS", "all"), List.of());

    WebhooksConfig changed = base.with(Setting.TOPIC_PREFIX, "tabc-");

    assertThat(changed.topicPrefix()).isEqualTo("tabc-");
    assertThat(changed.partitions()).isEqualTo(3);
    assertThat(changed.kafkaProperties()).containsEntry("acks", "all");
    assertThat(changed.topics().deliveries().name()).isEqualTo("tabc-webhook-deliveries");
    assertThat(base.topicPrefix()).isEmpty();
  }

  @Test
  void extra_kafka_properties_win_over_existing_ones() {
    WebhooksConfig base = WebhooksConfig.resolve(Map.of(), Map.of("WEBHOOKS_KAFKA_ACKS", "1"), List.of());

    WebhooksConfig merged = base.withKafkaProperties(Map.of("acks", "all", "linger.ms", "5"));

    assertThat(merged.kafkaProperties()).containsEntry("acks", "all").containsEntry("linger.ms", "5");
    assertThat(base.kafkaProperties()).containsEntry("acks", "1");
  }

  @Test
  void the_instance_id_setting_is_used_when_given() {
    assertThat(WebhooksConfig.defaults().with(Setting.INSTANCE_ID, " worker-7 ").instanceId()).isEqualTo("worker-7");
    assertThat(WebhooksConfig.defaults().instanceId()).isNotBlank();
  }

  @Test
  void kafka_clients_need_bootstrap_servers() {
    assertThatThrownBy(() -> KafkaClients.common(WebhooksConfig.defaults()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--bootstrap-servers")
        .hasMessageContaining("WEBHOOKS_BOOTSTRAP_SERVERS");
  }

  @Test
  void secrets_keys_are_an_ordered_list_of_base64_of_32_bytes() {
    byte[] first = new byte[32];
    byte[] second = new byte[32];
    java.util.Arrays.fill(second, (byte) 7);
    String value = java.util.Base64.getEncoder().encodeToString(first) + " , "
        + java.util.Base64.getEncoder().encodeToString(second);

    List<byte[]> keys = WebhooksConfig.resolve(Map.of(), Map.of("WEBHOOKS_SECRETS_KEY", value), List.of()).secretsKeys();

    assertThat(keys).hasSize(2);
    assertThat(keys.get(0)).isEqualTo(first);
    assertThat(keys.get(1)).isEqualTo(second);
    assertThat(WebhooksConfig.defaults().secretsKeys()).isEmpty();
  }

  @Test
  void a_malformed_secrets_key_is_refused_naming_the_setting_and_the_entry_but_not_its_value() {
    String short16 = java.util.Base64.getEncoder().encodeToString(new byte[16]);
    String good = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(Setting.SECRETS_KEY, good + "," + short16), Map.of(),
        List.of()))
        .isInstanceOf(WebhooksConfig.SettingException.class)
        .hasMessageStartingWith("--secrets-key / WEBHOOKS_SECRETS_KEY: key 2 holds 16 bytes, not 32")
        .hasMessageNotContaining(short16);
    assertThatThrownBy(() -> WebhooksConfig.resolve(Map.of(Setting.SECRETS_KEY, "not*base64"), Map.of(), List.of()))
        .hasMessageContaining("key 1 is not base64")
        .hasMessageNotContaining("not*base64");
  }

  @Test
  void the_text_of_a_configuration_hides_the_secrets_key_and_credentials() {
    String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    WebhooksConfig config = WebhooksConfig.resolve(Map.of(Setting.SECRETS_KEY, key),
        Map.of("WEBHOOKS_KAFKA_SASL_JAAS_CONFIG", "user=\"u\" password=\"p4ss\"",
            "WEBHOOKS_KAFKA_SSL_KEY_PASSWORD", "p4ss2", "WEBHOOKS_KAFKA_ACKS", "all"), List.of());

    assertThat(config.toString()).doesNotContain(key).doesNotContain("p4ss").contains("SECRETS_KEY=(hidden)")
        .contains("acks=all");
  }

  @Test
  void fanoutThreadsDefaultToOnePerTwoCoresAndAreRefusedOutOfRangeNamingTheFlag() {
    WebhooksConfig defaults = WebhooksConfig.defaults();
    assertThat(defaults.fanoutThreads()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    assertThat(defaults.with(Setting.FANOUT_THREADS, "3").fanoutThreads()).isEqualTo(3);
    assertThatThrownBy(() -> defaults.with(Setting.FANOUT_THREADS, "0").fanoutThreads())
        .isInstanceOf(SettingException.class).hasMessageContaining("WEBHOOKS_FANOUT_THREADS");
  }

  @Test
  void workerLoopsDefaultToOnePerTwoCoresAndAreRefusedOutOfRangeNamingTheFlag() {
    WebhooksConfig defaults = WebhooksConfig.defaults();
    assertThat(defaults.workerLoops()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    assertThat(defaults.with(Setting.WORKER_LOOPS, "3").workerLoops()).isEqualTo(3);
    assertThatThrownBy(() -> defaults.with(Setting.WORKER_LOOPS, "0").workerLoops())
        .isInstanceOf(SettingException.class).hasMessageContaining("--worker-loops");
    assertThatThrownBy(() -> defaults.with(Setting.WORKER_LOOPS, "many").workerLoops())
        .isInstanceOf(SettingException.class).hasMessageContaining("WEBHOOKS_WORKER_LOOPS");
  }
}
