package org.webhooks.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedKafka;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.testing.MutableClock;

/**
 * How the loop treats a transaction that cannot commit, on a broker of its own (the loop needs no
 * registry, and starting one would cost seconds); each test has topics of its own.
 *
 * <ul>
 *   <li>A send that fails leaves the producer refusing every further call of its transaction but an
 *       abort, as when the broker cannot be reached for longer than the producer waits. The loop
 *       aborts that transaction and processes the records since its last commit again, rather than
 *       stopping; once the sends go through, the outputs are committed once.</li>
 *   <li>Work is never dispatched into a transaction in doubt: a record read before a send failed,
 *       or before a transaction stalled (a send waited for the broker) and then failed to commit,
 *       is dispatched once, after the rewind, not once before it and again after it. The records
 *       are dispatched one at a time here, as a worker with one free slot does, so that the next
 *       one is dispatched right after the previous one's outcome is sent.</li>
 * </ul>
 */
class TransactionalLoopTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path brokerDir;
  private static EmbeddedKafka kafka;

  private String prefix;
  private Admin admin;
  private final List<Runnable> cleanUp = new ArrayList<>();

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start(brokerDir, 0, 0);
    // a fresh broker creates its transaction log on the first transactional producer, which takes
    // longer than the loops' producers below may wait
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("transactional.id", "warm-up");
    try (KafkaProducer<String, String> warmUp = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      warmUp.initTransactions();
    }
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @BeforeEach
  void topicsOfItsOwn() {
    prefix = "loop-" + UUID.randomUUID() + "-";
  }

  @AfterEach
  void stopLoops() {
    cleanUp.forEach(Runnable::run);
    if (admin != null) {
      admin.close();
    }
  }

  @Test
  void aTransactionTheProducerRefusesIsAbortedAndItsRecordsProcessedAgainInsteadOfStoppingTheLoop()
      throws Exception {
    // a send to a topic whose metadata cannot be had fails after 1 s instead of 30
    WebhooksConfig config = config(Map.of("max.block.ms", "1000"));
    String input = prefix + "input";
    String output = prefix + "output";
    String late = prefix + "late";
    createTopics(config, List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1)));
    produce(config, input, "r1");

    AtomicInteger processed = new AtomicInteger();
    TransactionalLoop<Void> loop = start(config, input, Clock.systemUTC(), (LoopContext ctx) -> new RecordProcessor<Void>() {
      @Override
      public Received<Void> receive(ConsumerRecord<byte[], byte[]> r) {
        processed.incrementAndGet();
        // the first send fails (its topic does not exist yet); the producer then refuses the second
        ctx.send(new ProducerRecord<>(late, "k", r.value()));
        ctx.send(new ProducerRecord<>(output, "k", r.value()));
        return Received.finished();
      }

      @Override
      public void abandon(TopicPartition partition, List<Void> items) {}
    });

    awaitRewinds(loop);
    assertThat(readCommitted(config, output)).isEmpty();

    admin.createTopics(List.of(new NewTopic(late, 1, (short) 1))).all().get();
    await().atMost(WAIT).until(() -> loop.counters().transactionsCommitted() >= 1
        && readCommitted(config, output).size() == 1);
    assertThat(readCommitted(config, late)).containsExactly("r1");
    assertThat(readCommitted(config, output)).containsExactly("r1");
    assertThat(processed.get()).isGreaterThanOrEqualTo(2);
    assertThat(loop.failure()).isNull();
  }

  @Test
  void aRecordReadBeforeASendFailedIsDispatchedOnceAfterTheRewindNotIntoTheDoomedTransaction() throws Exception {
    WebhooksConfig config = config(Map.of("max.block.ms", "1000"));
    String input = prefix + "input";
    String output = prefix + "output";
    String late = prefix + "late";
    createTopics(config, List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1)));
    produce(config, input, "r1");
    produce(config, input, "r2");

    // r1's outcome ends with a send that cannot even be queued (no metadata for its topic within
    // max.block.ms): the producer reports it through the send's callback and does not throw; r2,
    // read in the same poll, waits for the one slot
    OneAtATime processor = new OneAtATime((ctx, value) -> {
      ctx.send(new ProducerRecord<>(output, "k", bytes(value)));
      if (value.equals("r1")) {
        ctx.send(new ProducerRecord<>(late, "k", bytes(value)));
      }
    });
    // the loop's clock stands still: no transaction here stalls, only the failed send dooms one
    TransactionalLoop<Item> loop = start(config, input, new MutableClock(Instant.parse("2025-01-15T10:00:00Z")),
        processor::bind);

    awaitRewinds(loop);
    admin.createTopics(List.of(new NewTopic(late, 1, (short) 1))).all().get();
    await().atMost(WAIT).until(() -> readCommitted(config, output).size() == 2);

    assertThat(processor.dispatches.get("r2")).as("r2 dispatched (in doubt, then after the rewind)").isEqualTo(1);
    assertThat(processor.dispatches.get("r1")).as("r1, whose outcome could not be written").isGreaterThanOrEqualTo(2);
    assertThat(readCommitted(config, output)).containsExactly("r1", "r2");
    assertThat(readCommitted(config, late)).containsExactly("r1");
    assertThat(loop.failure()).isNull();
  }

  @Test
  void aStalledTransactionIsSettledBeforeMoreWorkIsDispatchedSoItsFailedCommitRepeatsNothingDispatchedAfter()
      throws Exception {
    // the metadata wait below lasts until the test creates the topic
    WebhooksConfig config = config(Map.of("max.block.ms", "60000"));
    String input = prefix + "input";
    String output = prefix + "output";
    String late = prefix + "late";
    String small = prefix + "small";
    createTopics(config, List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1),
        new NewTopic(small, 1, (short) 1).configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1024"))));
    produce(config, input, "r1");
    produce(config, input, "r2");

    MutableClock clock = new MutableClock(Instant.parse("2025-01-15T10:00:00Z"));
    AtomicInteger r1Outcomes = new AtomicInteger();
    // r1's first outcome opens the transaction, then waits for the metadata of a topic that does not
    // exist yet, as a send waits for a broker that is away; meanwhile the test moves the clock on.
    // Its last record is refused by the broker (too large for its topic) only once it is sent, as the
    // records of a transaction the coordinator aborted while the broker was away are: the transaction
    // is doomed, but nothing says so before the loop commits
    OneAtATime processor = new OneAtATime((ctx, value) -> {
      ctx.send(new ProducerRecord<>(output, "k", bytes(value)));
      if (value.equals("r1") && r1Outcomes.incrementAndGet() == 1) {
        ctx.send(new ProducerRecord<>(late, "k", bytes(value)));
        ctx.send(new ProducerRecord<>(small, "k", new byte[4096]));
      }
    });
    TransactionalLoop<Item> loop = start(config, input, clock, processor::bind);

    await().atMost(WAIT).until(() -> r1Outcomes.get() == 1);
    clock.advance(Duration.ofMinutes(1));
    admin.createTopics(List.of(new NewTopic(late, 1, (short) 1))).all().get();
    await().atMost(WAIT).until(() -> readCommitted(config, output).size() == 2);

    assertThat(loop.counters().rewinds()).as("the stalled transaction failed to commit").isPositive();
    assertThat(processor.dispatches.get("r2")).as("r2 dispatched (in doubt, then after the rewind)").isEqualTo(1);
    assertThat(processor.dispatches.get("r1")).isEqualTo(2);
    assertThat(readCommitted(config, output)).containsExactly("r1", "r2");
    assertThat(readCommitted(config, small)).isEmpty();
    assertThat(loop.failure()).isNull();
  }

  /** A pending record: where it is, and its value. */
  private record Item(TopicPartition partition, long offset, String value) {}

  /**
   * Dispatches one record at a time, in order, as a worker with one free slot does: each "request"
   * completes on the owner's next round, which sends the record's outcome and frees the slot.
   */
  private static final class OneAtATime implements RecordProcessor<Item> {

    final Map<String, Integer> dispatches = new ConcurrentHashMap<>();
    private final BiConsumer<LoopContext, String> outcome;
    private final Deque<Item> waiting = new ArrayDeque<>();
    private final List<Item> abandoned = new ArrayList<>();
    private LoopContext ctx;
    private Item inFlight;

    /** @param outcome sends a record's outcome, given its value */
    OneAtATime(BiConsumer<LoopContext, String> outcome) {
      this.outcome = outcome;
    }

    RecordProcessor<Item> bind(LoopContext context) {
      this.ctx = context;
      return this;
    }

    @Override
    public Received<Item> receive(ConsumerRecord<byte[], byte[]> r) {
      Item item = new Item(new TopicPartition(r.topic(), r.partition()), r.offset(),
          new String(r.value(), StandardCharsets.UTF_8));
      waiting.add(item);
      return Received.pending(item);
    }

    @Override
    public void work() {
      if (inFlight != null || waiting.isEmpty()) {
        return;
      }
      Item item = waiting.poll();
      inFlight = item;
      dispatches.merge(item.value(), 1, Integer::sum);
      ctx.onOwner(() -> completed(item));
    }

    private void completed(Item item) {
      inFlight = null;
      // by identity: after a rewind the same record is read again as an equal item
      if (abandoned.removeIf(a -> a == item)) {
        return;
      }
      outcome.accept(ctx, item.value());
      ctx.finished(item.partition(), item.offset());
    }

    @Override
    public void abandon(TopicPartition partition, List<Item> items) {
      waiting.removeAll(items);
      if (items.contains(inFlight)) {
        abandoned.add(inFlight);
      }
    }
  }

  private WebhooksConfig config(Map<String, String> kafkaProperties) {
    return WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .with(Setting.TOPIC_PREFIX, prefix)
        .with(Setting.INSTANCE_ID, "l1")
        .withKafkaProperties(kafkaProperties);
  }

  private void createTopics(WebhooksConfig config, List<NewTopic> topics) throws Exception {
    admin = Admin.create(KafkaClients.common(config));
    admin.createTopics(topics).all().get();
  }

  /** Starts a loop on its own owner thread, stopped after the test. */
  private <T> TransactionalLoop<T> start(WebhooksConfig config, String input, Clock clock,
      Function<LoopContext, RecordProcessor<T>> processor) throws Exception {
    LoopClients clients = LoopClients.create(config, "loop-test");
    clients.producer().initTransactions();
    TransactionalLoop<T> loop = new TransactionalLoop<>(clients,
        new TransactionalLoop.Settings("loop-test", List.of(input), 10, Duration.ofSeconds(1)), clock, processor);
    Thread owner = new Thread(loop, "loop-test");
    owner.start();
    cleanUp.add(() -> {
      loop.stop();
      try {
        owner.join(WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return loop;
  }

  private static void awaitRewinds(TransactionalLoop<?> loop) {
    await().atMost(WAIT).until(() -> {
      if (loop.failure() != null) {
        throw new AssertionError("the loop stopped", loop.failure());
      }
      return loop.counters().rewinds() >= 1;
    });
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static void produce(WebhooksConfig config, String topic, String value) throws Exception {
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaClients.common(config), new StringSerializer(),
        new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(topic, "k", bytes(value))).get();
    }
  }

  /** @return the values committed to {@code topic}, in order */
  private static List<String> readCommitted(WebhooksConfig config, String topic) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<String> out = new ArrayList<>();
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(100)).forEach(r -> out.add(r.value()));
      }
      return out;
    }
  }
}
