package org.webhooks.schemas;

import java.util.Locale;

/**
 * Every setting of every service, declared once: name, default and documentation. Each is a flag
 * {@code --name-in-kebab-case} and an environment variable {@code WEBHOOKS_<NAME>}; the flag wins.
 * The README's settings table is checked against this list by a test. Kafka client properties are
 * passed through separately ({@code --kafka key=value} or {@code WEBHOOKS_KAFKA_<KEY>}, see
 * {@link WebhooksConfig}).
 */
public enum Setting {
  DATA_DIR("./data", "Directory of the embedded broker, registry and stack.properties."),
  BOOTSTRAP_SERVERS("", "Kafka bootstrap servers; empty = the embedded broker (started by up, found via stack.properties)."),
  REGISTRY_URL("", "Confluent-compatible schema registry URL; empty = the embedded Apicurio registry."),
  HTTP_PORT("8080", "HTTP port of the health and Prometheus metrics endpoints (and of the control plane API)."),
  TOPIC_PREFIX("", "Prefix put before every topic name."),
  PARTITIONS("6", "Partitions of each topic created at start."),
  HTTP_TIMEOUT("15s", "Timeout of one delivery request (connect + response)."),
  RETRY_SCHEDULE("0s,1m,5m,15m,1h,2h,4h,8h,8h", "Delay before each retry; the first attempt is not in it."),
  ALLOWED_TARGETS("", "Comma-separated hosts and CIDR ranges that may be targeted despite the address rules, over plain http too."),
  KAFKA_PORT("9092", "Port of the embedded broker (up)."),
  CONTROLLER_PORT("9093", "Controller port of the embedded broker (up)."),
  REGISTRY_PORT("8081", "Port of the embedded schema registry (up)."),
  MAX_IN_FLIGHT("512", "Delivery requests in flight per worker, all endpoints together."),
  MAX_IN_FLIGHT_PER_ENDPOINT("32", "Delivery requests in flight per subscription."),
  WORKER_LOOPS("", "Owner loops of each delivery-worker process, each with its own consumer, transactional producer and event loops, sharing the in-flight cap; empty = one per two cores, at least one."),
  FANOUT_THREADS("", "Stream threads of each fanout-stream process, each taking its share of the call-events partitions; empty = one per two cores, at least one."),
  CIRCUIT_THRESHOLD("10", "Consecutive failed attempts after which an endpoint's circuit opens (0 = never)."),
  CIRCUIT_PROBE_DELAY("30s", "How long an open circuit parks an endpoint's tasks before one request probes it."),
  MAX_EVENT_BYTES("1048576", "Largest event, in bytes of the JSON body a receiver gets: publish refuses a larger line, the fanout dead-letters a larger event."),
  SECRETS_KEY("", "Keys that encrypt signing secrets at rest: comma-separated base64 of 32 bytes each; the first encrypts, all decrypt; empty = <data dir>/secrets.key, generated once."),
  INSTANCE_ID("", "Stable id of this instance, used in transactional ids; empty = the host name."),
  SECRET_ROTATION_GRACE("24h", "How long a rotated-out signing secret keeps signing beside the new one before it is removed."),
  SERVICES("all", "Services that up starts: all, none, or a list of fanout-stream,delivery-worker,retry-scheduler,delivery-stats,control-plane."),
  ATTEMPT_RETENTION("30d", "How long delivery-stats keeps each attempt in its attempt index (by subscription and by event)."),
  FAILING_WINDOW("15m", "Window over which delivery-stats computes an endpoint's success rate for endpoint.failing and endpoint.recovered."),
  FAILING_MIN_ATTEMPTS("10", "Fewest attempts in the window for a low success rate to count as failing."),
  FAILING_SUCCESS_RATE("0.5", "An endpoint whose success rate over the window is below this (0 to 1) is failing."),
  FAILING_CIRCUIT_OPEN("10m", "An endpoint whose circuit has been open this long is failing."),
  AUTO_DISABLE_AFTER("5d", "An endpoint without a successful attempt for this long is disabled (0s = never); endpoint.failing warns at half of it."),
  ADVERTISED_HOST("", "Host name or address at which other processes reach this one's HTTP port (delivery-stats queries); empty = the host name."),
  INTERNAL_TOKEN("", "Shared secret delivery-stats instances send each other on their /internal routes; empty = those routes refuse every request."),
  STATS_URL("", "Comma-separated base URLs (http://host:port) of delivery-stats processes that a control plane without delivery-stats in its own process asks, with the internal token; empty = the delivery-stats of the same process.");

  private final String defaultValue;
  private final String doc;

  Setting(String defaultValue, String doc) {
    this.defaultValue = defaultValue;
    this.doc = doc;
  }

  /** @return the default as written in the settings table ("" = empty). */
  public String defaultValue() {
    return defaultValue;
  }

  /** @return one sentence of documentation. */
  public String doc() {
    return doc;
  }

  /** @return the environment variable, e.g. {@code WEBHOOKS_DATA_DIR}. */
  public String envName() {
    return "WEBHOOKS_" + name();
  }

  /** @return the long flag, e.g. {@code --data-dir}. */
  public String flag() {
    return "--" + name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
