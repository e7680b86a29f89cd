package org.webhooks.runtime;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The consumer and transactional producer of one {@link TransactionalLoop}, configured the same way
 * for every service that runs one (DESIGN "Guarantees"):
 *
 * <ul>
 *   <li>consumer group {@code <prefix><service>}, {@code read_committed}, no auto-commit, new groups
 *       from the earliest offset;</li>
 *   <li>static membership: {@code group.instance.id} is the instance id, so a restarted instance
 *       takes its partitions back at once instead of waiting for a rebalance, and a second process
 *       with the same id fences the first;</li>
 *   <li>a session timeout of {@value #SESSION_TIMEOUT_MS} ms: a killed instance's partitions move to
 *       the others within about that long (the trade-off: a pause longer than that, such as a very
 *       long GC or a network cut, also moves them);</li>
 *   <li>incremental (cooperative sticky) rebalancing, so only the partitions that move are revoked;</li>
 *   <li>transactional id {@code <prefix><service>-<instance id>}, stable across restarts, with a
 *       {@value #TRANSACTION_TIMEOUT_MS} ms transaction timeout: a restart fences its predecessor and
 *       aborts its open transaction at once.</li>
 * </ul>
 *
 * @param consumer reads the input topics, keys and values as bytes
 * @param producer writes outputs and offsets in transactions, keys as strings, values as bytes
 * @param groupId the consumer group
 * @param transactionalId the producer's transactional id
 */
public record LoopClients(KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<String, byte[]> producer,
    String groupId, String transactionalId) {

  /** Longest time the broker holds a fetch that has nothing new ({@code fetch.max.wait.ms}), ms. */
  public static final int FETCH_MAX_WAIT_MS = 20;
  /** Session timeout of the consumer group membership, ms. */
  public static final int SESSION_TIMEOUT_MS = 10_000;
  /** Heartbeat interval, ms: a third of the session timeout, as Kafka advises. */
  public static final int HEARTBEAT_INTERVAL_MS = 3_000;
  /** Producer transaction timeout, ms. */
  public static final int TRANSACTION_TIMEOUT_MS = 10_000;

  /**
   * Creates both clients; nothing is contacted before the producer's {@code initTransactions()}.
   *
   * @param config bootstrap servers, pass-through Kafka properties, topic prefix and instance id
   * @param service the service name, e.g. {@code delivery-worker}: names the group and the ids
   * @throws org.apache.kafka.common.KafkaException when a client cannot be created
   */
  public static LoopClients create(WebhooksConfig config, String service) {
    return create(config, service, 0);
  }

  /**
   * The clients of loop {@code index} of a process that runs several: loop 0 is named as a process
   * with one loop; loop {@code n} adds {@code -n} to the static member id ({@code group.instance.id})
   * and to the transactional id, so that every loop is a member of its own and fences only its own
   * predecessor.
   *
   * @param index the loop's number in its process, from 0
   * @throws org.apache.kafka.common.KafkaException when a client cannot be created
   */
  public static LoopClients create(WebhooksConfig config, String service, int index) {
    String groupId = config.topicPrefix() + service;
    String suffix = index == 0 ? "" : "-" + index;
    String transactionalId = groupId + "-" + config.instanceId() + suffix;
    Properties consumerProps = consumerProps(config, groupId, transactionalId);
    consumerProps.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
        consumerProps.getProperty(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG) + suffix);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
    try {
      return new LoopClients(consumer, new KafkaProducer<>(producerProps(config, transactionalId)),
          groupId, transactionalId);
    } catch (RuntimeException e) {
      consumer.close(Duration.ZERO);
      throw e;
    }
  }

  static Properties consumerProps(WebhooksConfig config, String groupId, String transactionalId) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, transactionalId + "-consumer");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instanceId());
    boolean consumerProtocol = "consumer".equalsIgnoreCase(String.valueOf(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)));
    if (!consumerProtocol) {
      // The consumer group protocol (KIP-848) takes these from the broker and refuses them here; it
      // is incremental anyway. With the classic protocol's eager default, every instance would drop
      // all its partitions, and so send again every request in flight, whenever one joins or leaves.
      p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MS));
      p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.toString(HEARTBEAT_INTERVAL_MS));
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    }
    // A loop pauses a partition that holds its share of unfinished records and resumes it once it has
    // room, but the consumer sends one fetch at a time to a broker: a resumed partition waits for the
    // fetch already out for the others, which the broker holds up to this long when they have nothing
    // new. At Kafka's 500 ms default one endpoint's partition was read in 1 MB fetches 280 ms apart
    // (4,400 deliveries/s); at 20 ms, 28 ms apart, at the price of about 50 empty fetches a second
    // while a loop is idle.
    p.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_MAX_WAIT_MS));
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  static Properties producerProps(WebhooksConfig config, String transactionalId) {
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId + "-producer");
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(TRANSACTION_TIMEOUT_MS));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    // outputs carry the rendered body (a dead letter the whole task), so they may be near the event limit
    p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Integer.toString(KafkaClients.maxRecordBytes(config.maxEventBytes())));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }
}
