package org.webhooks.launcher;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.CallSimulator;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.worker.DeliveryWorker;

/**
 * What the scale-out tests share: topics of {@value #PARTITIONS} partitions under a prefix of their
 * own on the shared embedded stack, subscriptions spread so that every partition of
 * {@code webhook-deliveries} carries some, a burst of simulated call events with the deliveries it
 * must cause, and the broker's view of the worker group (who owns which partition, what is
 * committed, which producer epoch a transactional id is at).
 */
final class ScaleOutFixture implements AutoCloseable {

  static final int PARTITIONS = 6;
  /** Accounts the simulated calls are spread over; every account has subscriptions. */
  static final int ACCOUNTS = 6;
  /**
   * Request timeout of the workers: far beyond a test, so that a request the receiver holds stays
   * in flight until the test releases it, however slow the machine.
   */
  static final String HELD_REQUEST_TIMEOUT = "10m";
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  /** A subscription, the receiver path that stands for its endpoint, and its partition. */
  record Endpoint(Subscription subscription, String path, int partition) {}

  final WebhooksConfig config;
  final ScaleOutReceiver receiver;
  final List<Endpoint> endpoints = new ArrayList<>();
  private final SchemaRegistryClient registry;
  private final Admin admin;

  private ScaleOutFixture(WebhooksConfig config, ScaleOutReceiver receiver) {
    this.config = config;
    this.receiver = receiver;
    this.registry = new SchemaRegistryClient(config.registryUrl());
    this.admin = Admin.create(KafkaClients.common(config));
  }

  /**
   * Creates the topics and a receiver.
   *
   * @param dataDir the data dir of the in-JVM services
   * @param receiverDelay how long the receiver takes to answer each request
   */
  static ScaleOutFixture create(Path dataDir, Duration receiverDelay) throws Exception {
    return create(dataDir, receiverDelay, Setting.RETRY_SCHEDULE.defaultValue());
  }

  /**
   * Creates the topics, retry tiers of {@code retrySchedule} included, and a receiver.
   *
   * @param retrySchedule the retry schedule the services under test run with
   */
  static ScaleOutFixture create(Path dataDir, Duration receiverDelay, String retrySchedule) throws Exception {
    EmbeddedStack stack = TestStack.shared();
    return on(stack.bootstrapServers(), stack.registryUrl(), dataDir, receiverDelay, retrySchedule);
  }

  /**
   * Creates the topics, under a prefix of their own, and a receiver, on the stack at these addresses.
   *
   * @param dataDir the data dir of the in-JVM services
   * @param retrySchedule the retry schedule the services under test run with
   */
  static ScaleOutFixture on(String bootstrapServers, String registryUrl, Path dataDir, Duration receiverDelay,
      String retrySchedule) throws Exception {
    return on(bootstrapServers, registryUrl, dataDir, receiverDelay, retrySchedule, newTopicPrefix());
  }

  /** @return a topic prefix of its own for a test */
  static String newTopicPrefix() {
    return "scale-" + UUID.randomUUID() + "-";
  }

  /**
   * As {@link #on(String, String, Path, Duration, String)}, under {@code topicPrefix}: for services
   * started before the stack is, which must be told the prefix first.
   */
  static ScaleOutFixture on(String bootstrapServers, String registryUrl, Path dataDir, Duration receiverDelay,
      String retrySchedule, String topicPrefix) throws Exception {
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.RETRY_SCHEDULE, retrySchedule)
        .with(Setting.BOOTSTRAP_SERVERS, bootstrapServers)
        .with(Setting.REGISTRY_URL, registryUrl)
        .with(Setting.TOPIC_PREFIX, topicPrefix)
        .with(Setting.PARTITIONS, Integer.toString(PARTITIONS))
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.DATA_DIR, dataDir.toString());
    KafkaClients.ensureTopics(config);
    return new ScaleOutFixture(config, ScaleOutReceiver.start(receiverDelay));
  }

  /** @return the fixture's settings for one worker instance: its own instance id and in-flight caps */
  WebhooksConfig worker(String instanceId, int maxInFlight, int maxInFlightPerEndpoint) {
    return config.with(Setting.INSTANCE_ID, instanceId)
        .with(Setting.HTTP_TIMEOUT, HELD_REQUEST_TIMEOUT)
        .with(Setting.MAX_IN_FLIGHT, Integer.toString(maxInFlight))
        .with(Setting.MAX_IN_FLIGHT_PER_ENDPOINT, Integer.toString(maxInFlightPerEndpoint));
  }

  /**
   * Saves {@code perPartition} subscriptions for each partition of {@code webhook-deliveries}, all
   * event types, accounts taken in turn, each with a receiver path of its own. Ids are drawn until
   * every partition has its share, so that every worker that owns a partition has work.
   */
  void subscribeSpread(int perPartition) {
    int[] filled = new int[PARTITIONS];
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      while (endpoints.size() < PARTITIONS * perPartition) {
        int n = endpoints.size();
        String path = "/s" + n;
        String account = "acct_" + (1 + n % ACCOUNTS);
        Subscription s = SubscriptionRules.newSubscription(account, receiver.url(path), EventTypes.ALL, null, null,
            config.targetPolicy(), Instant.now());
        int partition = partitionOf(s.getId());
        if (filled[partition] >= perPartition) {
          continue;
        }
        filled[partition]++;
        store.save(s);
        receiver.expectSecret(path, s.getSecrets().get(0).getSecret());
        endpoints.add(new Endpoint(s, path, partition));
      }
    }
  }

  /** @return the partition a record keyed {@code key} goes to (Kafka's default partitioner) */
  static int partitionOf(String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  /** @return {@code count} simulated call events over {@value #ACCOUNTS} accounts, ids unique to this run */
  static List<CallEvent> burst(int count) {
    CallSimulator simulator = new CallSimulator(UUID.randomUUID().getMostSignificantBits(), ACCOUNTS,
        Clock.systemUTC());
    List<CallEvent> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(simulator.next());
    }
    return out;
  }

  /** @return every (event, endpoint) pair the events must reach: same account, listed type */
  Set<ScaleOutReceiver.Delivery> expected(List<CallEvent> events) {
    Set<ScaleOutReceiver.Delivery> out = new HashSet<>();
    for (CallEvent e : events) {
      String type = EventTypes.wireName(e.getEventType());
      for (Endpoint ep : endpoints) {
        Subscription s = ep.subscription();
        if (s.getAccountId().equals(e.getAccountId()) && s.getEventTypes().contains(type)) {
          out.add(new ScaleOutReceiver.Delivery(e.getEventId(), ep.path()));
        }
      }
    }
    return out;
  }

  /**
   * Publishes {@code events} from another thread: the first half at once, the second half once
   * {@code secondHalf} completes, so that a scenario step taken in between surely finds work
   * published after it.
   *
   * @return completes once the broker acknowledged every event
   */
  CompletableFuture<Void> publishInBackground(List<CallEvent> events, CompletableFuture<Void> secondHalf) {
    return CompletableFuture.runAsync(() -> {
      try (CallEventPublisher publisher = new CallEventPublisher(config)) {
        int half = events.size() / 2;
        publishAll(publisher, events.subList(0, half));
        secondHalf.join();
        publishAll(publisher, events.subList(half, events.size()));
      }
    });
  }

  private static void publishAll(CallEventPublisher publisher, List<CallEvent> events) {
    List<CompletableFuture<?>> sends = new ArrayList<>(events.size());
    for (CallEvent e : events) {
      sends.add(publisher.publish(e));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
  }

  /** @return every committed delivery task, read_committed */
  List<ConsumerRecord<String, DeliveryTask>> tasks() {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
        config.topics().deliveries().valueSerde(registry).deserializer());
  }

  /** @return every committed attempt record, read_committed */
  List<DeliveryAttempt> attempts() {
    return TopicReader.readAll(config, config.topics().attempts().name(),
        config.topics().attempts().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  /** @return the receiver pair of a task */
  ScaleOutReceiver.Delivery deliveryOf(DeliveryTask task) {
    return new ScaleOutReceiver.Delivery(task.getEventId(), pathOf(task.getSubscriptionId()));
  }

  /** @return the receiver pair of an attempt */
  ScaleOutReceiver.Delivery deliveryOf(DeliveryAttempt attempt) {
    return new ScaleOutReceiver.Delivery(attempt.getEventId(), pathOf(attempt.getSubscriptionId()));
  }

  private String pathOf(String subscriptionId) {
    return endpoints.stream().filter(e -> e.subscription().getId().equals(subscriptionId)).findFirst()
        .map(Endpoint::path).orElse("?" + subscriptionId);
  }

  /** @return receiver paths of the endpoints whose tasks are in {@code partitions} */
  Set<String> pathsOf(Set<Integer> partitions) {
    return endpoints.stream().filter(e -> partitions.contains(e.partition())).map(Endpoint::path)
        .collect(Collectors.toSet());
  }

  /** @return the consumer group of the delivery workers */
  String workerGroup() {
    return group(DeliveryWorker.NAME);
  }

  /** @return the consumer group of {@code service}, e.g. {@code retry-scheduler} */
  String group(String service) {
    return config.topicPrefix() + service;
  }

  /** @return every committed task waiting, or that waited, in a retry tier, read_committed */
  List<ConsumerRecord<String, DeliveryTask>> tierTasks() {
    List<ConsumerRecord<String, DeliveryTask>> out = new ArrayList<>();
    for (var tier : config.topics().retryTopics()) {
      out.addAll(TopicReader.readAll(config, tier.name(), tier.valueSerde(registry).deserializer()));
    }
    return out;
  }

  /** @return every committed dead letter, read_committed */
  List<DeadLetter> deadLetters() {
    return TopicReader.readAll(config, config.topics().deadLetters().name(),
        config.topics().deadLetters().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  /**
   * @return records of {@code topics} that consumer group {@code group} has not committed yet: end
   *     offsets minus committed offsets (a transaction marker counts as one), summed over the partitions
   */
  long uncommitted(String group, List<String> topics) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get();
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
    for (String topic : topics) {
      for (int p = 0; p < PARTITIONS; p++) {
        latest.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
    }
    long out = 0;
    for (var e : admin.listOffsets(latest).all().get().entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      out += e.getValue().offset() - (c == null ? 0 : c.offset());
    }
    return out;
  }

  /**
   * @return true when consumer group {@code group} has committed, on every partition of
   *     {@code records}, the offset after its last record: none of them is left to process
   */
  boolean committedPast(String group, List<? extends ConsumerRecord<?, ?>> records) throws Exception {
    Map<TopicPartition, Long> next = new HashMap<>();
    for (ConsumerRecord<?, ?> r : records) {
      next.merge(new TopicPartition(r.topic(), r.partition()), r.offset() + 1, Math::max);
    }
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get();
    for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
      OffsetAndMetadata o = committed.get(e.getKey());
      if (o == null || o.offset() < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** @return the transactional id of the worker with {@code instanceId} */
  String workerTransactionalId(String instanceId) {
    return config.topicPrefix() + DeliveryWorker.NAME + "-" + instanceId;
  }

  /** A member of the worker group: its instance id, its member id (new on every join) and its partitions. */
  record Member(String instanceId, String memberId, Set<Integer> partitions) {}

  /**
   * @return the partitions of {@code webhook-deliveries} each member of the worker group owns, by
   *     instance id (taken from the member's client id, {@code <transactional id>-consumer}); no
   *     partitions while the group rebalances, no members before the first joins
   */
  Map<String, Set<Integer>> workerAssignments() throws Exception {
    Map<String, Set<Integer>> out = new TreeMap<>();
    for (Member m : workerMembers()) {
      out.merge(m.instanceId(), m.partitions(), (x, y) -> {
        Set<Integer> both = new TreeSet<>(x);
        both.addAll(y);
        return both;
      });
    }
    return out;
  }

  /** @return the members of the worker group as the group coordinator sees them now */
  List<Member> workerMembers() throws Exception {
    ConsumerGroupDescription group;
    try {
      group = admin.describeConsumerGroups(List.of(workerGroup())).describedGroups().get(workerGroup()).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return List.of(); // no member has joined yet
      }
      throw e;
    }
    List<Member> out = new ArrayList<>();
    String prefix = workerTransactionalId("");
    for (MemberDescription m : group.members()) {
      String instance = m.clientId().replaceFirst("^" + Pattern.quote(prefix), "")
          .replaceFirst("-consumer$", "");
      Set<Integer> partitions = new TreeSet<>();
      for (TopicPartition tp : m.assignment().topicPartitions()) {
        partitions.add(tp.partition());
      }
      out.add(new Member(instance, m.consumerId(), partitions));
    }
    return out;
  }

  /**
   * @return true when the worker group has committed, on every partition of {@code tasks}, the
   *     offset after its last task: no task is left to (re)deliver
   */
  boolean workersCommittedAll(List<ConsumerRecord<String, DeliveryTask>> tasks) throws Exception {
    return committedPast(workerGroup(), tasks);
  }

  /**
   * Kills, with SIGKILL, the {@code delivery-worker} process this JVM started for {@code topicPrefix}
   * and {@code instanceId}, and waits for it to be gone. A killed process commits nothing more and
   * does not leave its consumer group: its partitions wait for its session to time out.
   *
   * @throws IllegalStateException when not exactly one such process runs
   */
  static void killWorkerProcess(String topicPrefix, String instanceId) throws Exception {
    List<ProcessHandle> found = ProcessHandle.current().descendants().filter(p -> {
      List<String> args = p.info().arguments().map(List::of).orElse(List.of());
      int i = args.indexOf("--instance-id");
      return args.contains("delivery-worker") && args.contains(topicPrefix) && i >= 0 && i + 1 < args.size()
          && args.get(i + 1).equals(instanceId);
    }).toList();
    if (found.size() != 1) {
      throw new IllegalStateException(found.size() + " worker processes with instance id " + instanceId);
    }
    found.get(0).destroyForcibly();
    found.get(0).onExit().get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Opens a transaction under {@code transactionalId} and writes one record to
   * {@code webhook-attempts} in it, leaving it open, as a producer that died in the middle of a
   * commit would. Readers with read_committed see nothing past that record until it ends.
   *
   * @param timeout the transaction's timeout, after which the broker aborts it on its own
   * @return the producer, to be closed without ending the transaction ({@code close(Duration.ZERO)})
   */
  KafkaProducer<String, byte[]> openTransaction(String transactionalId, Duration timeout) throws Exception {
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) timeout.toMillis());
    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    producer.initTransactions();
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(config.topics().attempts().name(), "left-open",
        "never committed".getBytes(StandardCharsets.UTF_8))).get();
    return producer;
  }

  /** @return the broker's record of a transactional id, or null when it has none yet */
  TransactionDescription transaction(String transactionalId) throws Exception {
    try {
      return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
          .get(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TransactionalIdNotFoundException) {
        return null;
      }
      throw e;
    }
  }

  /**
   * The repeats a receiver saw, split by cause with the help of {@code webhook-attempts}. For a pair
   * received {@code n} times with {@code m} attempt records, {@code n - m} repeats follow requests
   * whose outcome was never written (in flight when their partition was revoked or their worker
   * stopped), and {@code m - 1} follow requests whose outcome was committed while their offset was
   * not (the offset waits for the lowest unfinished record of the partition).
   *
   * @param total requests received
   * @param distinct pairs received
   * @param afterLostOutcome repeats of requests whose outcome was never written, by partition
   * @param afterCommittedOutcome repeats of requests whose outcome was committed, by partition
   * @param repeated every pair received more than once
   */
  record Duplicates(int total, int distinct, Map<Integer, Integer> afterLostOutcome,
      Map<Integer, Integer> afterCommittedOutcome, Map<ScaleOutReceiver.Delivery, Repeat> repeated) {

    int repeats() {
      return total - distinct;
    }

    int lostOutcomes() {
      return afterLostOutcome.values().stream().mapToInt(Integer::intValue).sum();
    }

    int committedOutcomes() {
      return afterCommittedOutcome.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public String toString() {
      StringBuilder out = new StringBuilder();
      out.append(total).append(" requests for ").append(distinct).append(" deliveries: ").append(repeats())
          .append(" duplicates; ").append(lostOutcomes()).append(" repeat requests whose outcome was never written ")
          .append(afterLostOutcome).append(", ").append(committedOutcomes())
          .append(" repeat requests whose outcome was committed but not their offset ")
          .append(afterCommittedOutcome).append(" (by partition)");
      new TreeMap<>(repeated.entrySet().stream().collect(Collectors.toMap(
          e -> e.getKey().path() + " " + e.getKey().webhookId(), Map.Entry::getValue)))
          .forEach((k, v) -> out.append("\n  ").append(k).append(" x").append(v.received())
              .append(" (").append(v.recorded()).append(" attempt records, partition ").append(v.partition())
              .append(")"));
      return out.toString();
    }
  }

  /** A pair received more than once: how often, how many attempt records it has, its partition. */
  record Repeat(int received, int recorded, int partition) {}

  /** @return the receiver's repeats, explained by the attempt records */
  Duplicates duplicates(List<DeliveryAttempt> attempts) {
    Map<ScaleOutReceiver.Delivery, Integer> received = receiver.counts();
    Map<ScaleOutReceiver.Delivery, Integer> recorded = new HashMap<>();
    for (DeliveryAttempt a : attempts) {
      recorded.merge(deliveryOf(a), 1, Integer::sum);
    }
    Map<String, Integer> partitionOfPath = endpoints.stream()
        .collect(Collectors.toMap(Endpoint::path, Endpoint::partition));
    Map<Integer, Integer> lost = new TreeMap<>();
    Map<Integer, Integer> committed = new TreeMap<>();
    Map<ScaleOutReceiver.Delivery, Repeat> repeated = new HashMap<>();
    int total = 0;
    for (Map.Entry<ScaleOutReceiver.Delivery, Integer> e : received.entrySet()) {
      int n = e.getValue();
      int m = recorded.getOrDefault(e.getKey(), 0);
      int partition = partitionOfPath.getOrDefault(e.getKey().path(), -1);
      total += n;
      if (n > 1) {
        repeated.put(e.getKey(), new Repeat(n, m, partition));
      }
      if (m > 1) {
        committed.merge(partition, m - 1, Integer::sum);
      }
      if (n > Math.max(m, 1)) {
        lost.merge(partition, n - Math.max(m, 1), Integer::sum);
      }
    }
    return new Duplicates(total, received.size(), lost, committed, repeated);
  }

  @Override
  public void close() throws Exception {
    admin.close(ADMIN_TIMEOUT);
    receiver.close();
  }
}
