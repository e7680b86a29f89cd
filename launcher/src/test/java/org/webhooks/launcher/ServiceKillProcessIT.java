package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The retry scheduler and, separately, the fanout stream, each a real {@code ./webhooks} process,
 * killed with SIGKILL in the middle of a burst while half of the endpoints fail every delivery's
 * first two requests, so that many tasks wait in the retry tiers; each is started again at once with
 * its instance id. Every event is still delivered (none lost, none dead-lettered), and no endpoint
 * gets a request more than the attempts recorded: both services write their outputs and offsets in
 * one transaction, so a kill repeats nothing downstream, and the worker, never stopped, makes every
 * attempt once.
 */
class ServiceKillProcessIT {

  /** One second-scale schedule for every process: a delivery that fails twice succeeds on attempt 3. */
  private static final String SCHEDULE = "1s,2s,2s,2s,2s";
  private static final int FAILED_REQUESTS = 2;
  /** Events per publishing step; each matches one endpoint (one per account and partition). */
  private static final int STEP = 200;
  /** Events per second while the fanout is to be killed, so that the kill falls in the middle. */
  private static final int PACED_RATE = 50;
  private static final Duration RECEIVER_DELAY = Duration.ofMillis(20);
  /** Generous: each step may wait for a JVM to start, which takes long on a loaded machine. */
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dataDir;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final long startNanos = System.nanoTime();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void theSchedulerAndTheFanoutKilledMidBurstLoseNothingAndRepeatNothing() throws Exception {
    try (ScaleOutFixture f = ScaleOutFixture.create(dataDir, RECEIVER_DELAY, SCHEDULE)) {
      f.subscribeSpread(1);
      Set<String> failing = new HashSet<>();
      for (ScaleOutFixture.Endpoint e : f.endpoints) {
        if (e.partition() % 2 == 0) {
          failing.add(e.path());
        }
      }
      f.receiver.failFirst(failing, FAILED_REQUESTS);
      List<String> tiers = f.config.topics().retryTopics().stream().map(Topic::name).toList();
      String schedulerGroup = f.group(RetryScheduler.NAME);
      String fanoutGroup = f.group(FanoutService.NAME);

      ServiceProcess fanout = service(f, "fanout-stream", "f1");
      ServiceProcess scheduler = service(f, "retry-scheduler", "s1");
      ServiceProcess worker = service(f, "delivery-worker", "w1");
      awaitHealthy(fanout, scheduler, worker);
      step(f, "services up");

      List<CallEvent> events = ScaleOutFixture.burst(4 * STEP);
      Set<ScaleOutReceiver.Delivery> expected = f.expected(events);
      CompletableFuture<Void> afterSchedulerKill = new CompletableFuture<>();
      CompletableFuture<Void> afterSchedulerBack = new CompletableFuture<>();
      CompletableFuture<Void> afterFanoutKill = new CompletableFuture<>();
      CompletableFuture<Integer> fanoutStepPublished = new CompletableFuture<>();
      CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
        try (CallEventPublisher publisher = new CallEventPublisher(f.config)) {
          publish(publisher, events.subList(0, STEP), 0);
          afterSchedulerKill.join();
          publish(publisher, events.subList(STEP, 2 * STEP), 0);
          afterSchedulerBack.join();
          // paced, so that the fanout is killed while it has events to process
          publish(publisher, events.subList(2 * STEP, 3 * STEP), PACED_RATE);
          fanoutStepPublished.complete(3 * STEP);
          afterFanoutKill.join();
          publish(publisher, events.subList(3 * STEP, 4 * STEP), 0);
        }
      });

      // the scheduler, killed while many retries wait in the tiers
      await().atMost(WAIT).until(() -> f.uncommitted(schedulerGroup, tiers) >= STEP / 4);
      scheduler.process().kill();
      long waitingAtKill = f.uncommitted(schedulerGroup, tiers);
      step(f, "scheduler killed with about " + waitingAtKill + " retries waiting in the tiers");
      afterSchedulerKill.complete(null);
      // while it is down, the failed attempts of the next step join them
      await().atMost(WAIT).until(() -> f.uncommitted(schedulerGroup, tiers) > waitingAtKill);
      scheduler = service(f, "retry-scheduler", "s1");
      awaitHealthy(scheduler);
      step(f, "scheduler back");
      afterSchedulerBack.complete(null);

      // the fanout, killed in the middle of a paced step
      int beforeFanoutStep = f.receiver.distinct();
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= beforeFanoutStep + STEP / 10);
      fanout.process().kill();
      boolean stepStillPublishing = !fanoutStepPublished.isDone();
      long eventsLeftAtKill = f.uncommitted(fanoutGroup, List.of(f.config.topics().callEvents().name()));
      step(f, "fanout killed; " + eventsLeftAtKill + " call-events records not committed by it");
      afterFanoutKill.complete(null);
      fanout = service(f, "fanout-stream", "f1");
      awaitHealthy(fanout);
      step(f, "fanout back");

      publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      await().atMost(WAIT).until(() -> f.receiver.answered200().containsAll(expected));
      List<ConsumerRecord<String, DeliveryTask>> tasks = f.tasks();
      List<ConsumerRecord<String, DeliveryTask>> tierTasks = f.tierTasks();
      // once every group has committed past every record, nothing can be sent or forwarded again
      await().atMost(WAIT).until(() -> f.committedPast(f.workerGroup(), tasks)
          && f.committedPast(schedulerGroup, tierTasks));
      List<DeliveryAttempt> attempts = f.attempts();
      step(f, "every delivery received and committed");

      // the kills fell where they were meant to
      assertThat(waitingAtKill).isGreaterThanOrEqualTo(STEP / 4);
      assertThat(stepStillPublishing || eventsLeftAtKill > 0).as("the fanout had events left at its kill").isTrue();

      // nothing lost: every pair has its successful attempt, and nothing was dead-lettered
      Map<ScaleOutReceiver.Delivery, List<DeliveryAttempt>> byPair = attempts.stream()
          .collect(Collectors.groupingBy(f::deliveryOf));
      assertThat(byPair.keySet()).isEqualTo(expected);
      assertThat(f.deadLetters()).isEmpty();
      for (Map.Entry<ScaleOutReceiver.Delivery, List<DeliveryAttempt>> e : byPair.entrySet()) {
        int requests = failing.contains(e.getKey().path()) ? FAILED_REQUESTS + 1 : 1;
        assertThat(e.getValue()).as("attempts of %s", e.getKey())
            .extracting(DeliveryAttempt::getAttempt).containsExactlyInAnyOrderElementsOf(range(requests));
        assertThat(e.getValue()).filteredOn(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED).hasSize(1);
      }
      // no repeats: each endpoint got exactly one request per recorded attempt
      Map<ScaleOutReceiver.Delivery, Integer> received = f.receiver.counts();
      Map<ScaleOutReceiver.Delivery, Integer> recorded = new HashMap<>();
      byPair.forEach((pair, list) -> recorded.put(pair, list.size()));
      assertThat(received).isEqualTo(recorded);
      assertThat(f.receiver.badSignatures()).isZero();
      // Kafka-side exactly-once: each attempt's task reached webhook-deliveries once, and each retry its tier once
      assertThat(repeated(tasks, t -> t.getDeliveryId() + "#" + t.getAttempt())).isEmpty();
      assertThat(repeated(tierTasks, t -> t.getDeliveryId() + "#" + t.getAttempt())).isEmpty();
      assertThat(tierTasks).hasSize((int) expected.stream().filter(d -> failing.contains(d.path())).count()
          * FAILED_REQUESTS);
      assertThat(worker.process().isAlive()).isTrue();
      System.out.printf("service kills: %d deliveries, %d requests, %d retries through the tiers; "
          + "%d retries waiting at the scheduler's kill, %d call events left at the fanout's%n", expected.size(),
          received.values().stream().mapToInt(Integer::intValue).sum(), tierTasks.size(), waitingAtKill,
          eventsLeftAtKill);
    }
  }


  private ServiceProcess service(ScaleOutFixture f, String command, String instanceId) throws Exception {
    List<String> args = new ArrayList<>(List.of(command,
        "--bootstrap-servers", f.config.bootstrapServers(), "--registry-url", f.config.registryUrl(),
        "--topic-prefix", f.config.topicPrefix(), "--partitions", Integer.toString(ScaleOutFixture.PARTITIONS),
        "--retry-schedule", SCHEDULE, "--instance-id", instanceId, "--data-dir", dataDir.toString(),
        "--http-port", "0"));
    if (command.equals("delivery-worker")) {
      // the circuit breaker would park the failing endpoints' tasks: deferrals are not this test's subject
      args.addAll(List.of("--circuit-threshold", "0"));
    }
    LauncherProcess p = LauncherProcess.start(logs, command + "-" + instanceId + "-" + System.nanoTime(), args);
    closeables.add(p);
    return new ServiceProcess(p);
  }

  /** Waits until every service answers its health check with 200; fails at once when one has exited. */
  private static void awaitHealthy(ServiceProcess... services) {
    await().atMost(WAIT).until(() -> {
      for (ServiceProcess s : services) {
        if (!s.process().isAlive()) {
          throw new IllegalStateException(s.health() + ": the process exited " + s.process().exitCode()
              + "; stderr: " + s.process().stderr());
        }
        if (status(s.health()) != 200) {
          return false;
        }
      }
      return true;
    });
  }

  /** @return the status of a GET of {@code url}, or -1 when nothing answers */
  private static int status(String url) throws InterruptedException {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /** Publishes {@code events} at once, or {@code perSecond} of them a second, and waits for the acks. */
  private static void publish(CallEventPublisher publisher, List<CallEvent> events, int perSecond) {
    List<CompletableFuture<?>> sends = new ArrayList<>();
    if (perSecond <= 0) {
      events.forEach(e -> sends.add(publisher.publish(e)));
    } else {
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
      AtomicInteger next = new AtomicInteger();
      CompletableFuture<Void> all = new CompletableFuture<>();
      timer.scheduleAtFixedRate(() -> {
        int i = next.getAndIncrement();
        if (i < events.size()) {
          sends.add(publisher.publish(events.get(i)));
        } else {
          all.complete(null);
        }
      }, 0, TimeUnit.SECONDS.toMicros(1) / perSecond, TimeUnit.MICROSECONDS);
      all.join();
      timer.shutdown();
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
  }

  private static List<Integer> range(int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add(i);
    }
    return out;
  }

  /** @return the keys that more than one record has */
  private static Set<String> repeated(List<ConsumerRecord<String, DeliveryTask>> records,
      Function<DeliveryTask, String> key) {
    Set<String> seen = new HashSet<>();
    Set<String> twice = new HashSet<>();
    for (ConsumerRecord<String, DeliveryTask> r : records) {
      String k = key.apply(r.value());
      if (!seen.add(k)) {
        twice.add(k);
      }
    }
    return twice;
  }

  /** Prints a step of the scenario with the time since the test began, for the record. */
  private void step(ScaleOutFixture f, String what) {
    System.out.printf("service kills +%d ms: %s; receiver: %d requests, %d distinct%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), what, f.receiver.total(),
        f.receiver.distinct());
  }
}
