package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.StackLock;
import org.webhooks.embedded.StackProperties;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The services as separate processes ({@code up --services none} plus {@code fanout-stream}, two
 * {@code delivery-worker}s and {@code retry-scheduler}, default group settings) ride out an outage of
 * the broker and then one of the registry, 60 s each, without being restarted: meanwhile their
 * {@code /health} says which part is down (503), afterwards they resume on their own, and every event
 * published before, during or after the outages is delivered, none lost, no consumer left behind. A
 * request is repeated only when its outcome could not be committed because the broker was gone; none
 * made after the broker came back is repeated.
 *
 * <p>During the registry outage one worker is killed with SIGKILL in the middle of a burst, with
 * requests in flight and retries of its endpoints under way: its member keeps its partitions at first
 * (static membership, so a restart would take them back at once), and once its session has run out
 * the other worker takes them over and sends again every request whose outcome the killed one had not
 * committed (those in flight, and those answered since its last commit, which the attempts it did
 * commit tell apart), and no other; the time this took is printed.
 *
 * <p>The broker goes down with the process that runs it: {@code up} is stopped and started again on
 * the same data dir and the same ports, as a restarted broker host would be. The registry goes down
 * by being stopped (SIGSTOP) and continued (SIGCONT): it stops answering, as a hung or unreachable
 * registry does, while {@code up} keeps its broker.
 */
class OutageProcessIT {

  private static final Duration OUTAGE = Duration.ofSeconds(60);
  private static final String SCHEDULE = "1s,2s,2s,2s,2s";
  private static final int EVENTS = 120;
  private static final Set<Integer> ALL = Set.of(0, 1, 2, 3, 4, 5);
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
  private long stoppedRegistry = -1;

  @AfterEach
  void stop() throws Exception {
    if (stoppedRegistry > 0) {
      signal("CONT", stoppedRegistry);
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void theServicesRideOutTheBrokerAndTheRegistryDownForAMinuteEachAndAKilledWorkersPartitionsMove() throws Exception {
    // the first up picks free ports itself (retrying on a clash); the second takes the same broker and
    // registry ports from stack.properties
    List<String> stackFlags = List.of("--data-dir", dataDir.toString(), "--kafka-port", "0",
        "--controller-port", "0", "--registry-port", "0", "--http-port", "0");
    // the services start with up, and wait for its stack as a command run right after `up &` does
    String prefix = ScaleOutFixture.newTopicPrefix();
    LauncherProcess firstUp = startUp(stackFlags, "up-1");
    // up locks the data dir first of all; a command that finds it locked waits for the stack
    await().atMost(WAIT).until(() -> StackLock.holder(dataDir).equals(OptionalLong.of(firstUp.pid())));
    ServiceProcess fanout = service(prefix, "fanout-stream", "f1");
    ServiceProcess w1 = service(prefix, "delivery-worker", "w1");
    List<ServiceProcess> services = new ArrayList<>(List.of(fanout, w1, service(prefix, "delivery-worker", "w2"),
        service(prefix, "retry-scheduler", "s1")));
    LauncherProcess up = awaitUp(firstUp);
    StackProperties stack = StackProperties.read(dataDir).orElseThrow();
    try (ScaleOutFixture f = ScaleOutFixture.on(stack.bootstrapServers(), stack.registryUrl(), dataDir,
        Duration.ofMillis(20), SCHEDULE, prefix)) {
      f.subscribeSpread(1);
      Set<String> failing = f.endpoints.stream().filter(e -> e.partition() % 2 == 0)
          .map(ScaleOutFixture.Endpoint::path).collect(Collectors.toSet());
      // the failing endpoints' first request of every delivery fails: each of their events waits in a tier once
      f.receiver.failFirst(failing, 1);
      awaitHealth(services, 200, "\"status\":\"UP\"");
      // events are matched only against subscriptions the fanout has read
      await().atMost(WAIT).until(() -> counter(fanout, "webhooks_fanout_subscription_updates_total")
          >= f.endpoints.size());
      await().atMost(WAIT).until(() -> f.workerAssignments().keySet().equals(Set.of("w1", "w2"))
          && f.workerAssignments().values().stream().mapToInt(Set::size).sum() == ScaleOutFixture.PARTITIONS);
      step(f, "services up");

      CallEventPublisher publisher = new CallEventPublisher(f.config);
      closeables.add(publisher);
      List<CallEvent> beforeBrokerOutage = ScaleOutFixture.burst(EVENTS);
      Set<ScaleOutReceiver.Delivery> inFlightAtBrokerOutage = f.expected(beforeBrokerOutage);
      Set<ScaleOutReceiver.Delivery> expected = new HashSet<>(inFlightAtBrokerOutage);
      publish(publisher, beforeBrokerOutage);
      // work under way when the broker goes: deliveries made, retries waiting in the tiers
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= expected.size() / 4);

      // ---- the broker down for a minute (the registry with it: it runs beside the broker in up)
      long brokerStopped = System.nanoTime();
      assertThat(up.stop()).isNotNegative();
      step(f, "broker and registry stopped");
      awaitHealth(services, 503, "\"kafka\":\"DOWN\"");
      stayAliveUntil(services, brokerStopped + OUTAGE.toNanos());
      awaitHealth(services, 503, "\"kafka\":\"DOWN\"");
      up = up(List.of("--data-dir", dataDir.toString(), "--kafka-port", port(stack.bootstrapServers()),
          "--controller-port", "0", "--registry-port", port(stack.registryUrl()), "--http-port", "0"), "up-2");
      StackProperties again = StackProperties.read(dataDir).orElseThrow();
      assertThat(again.bootstrapServers()).isEqualTo(stack.bootstrapServers());
      assertThat(again.registryUrl()).isEqualTo(stack.registryUrl());
      step(f, "broker and registry back");
      awaitHealth(services, 200, "\"status\":\"UP\"");
      step(f, "services healthy again");
      List<CallEvent> afterBrokerOutage = ScaleOutFixture.burst(EVENTS);
      expected.addAll(f.expected(afterBrokerOutage));
      publish(publisher, afterBrokerOutage);
      await().atMost(WAIT).until(() -> f.receiver.answered200().containsAll(expected));
      List<ConsumerRecord<String, DeliveryTask>> tasksSoFar = f.tasks();
      await().atMost(WAIT).until(() -> f.committedPast(f.workerGroup(), tasksSoFar));
      Map<String, Set<Integer>> assignments = f.workerAssignments();
      step(f, "everything published before and after the broker outage delivered and committed; workers "
          + assignments);

      // ---- the registry down for a minute; meanwhile a worker is killed mid-burst and the other takes over
      long registry = registryPid();
      long registryStopped = System.nanoTime();
      signal("STOP", registry);
      stoppedRegistry = registry;
      step(f, "registry stopped");
      CompletableFuture<LauncherProcess> publishCommand = CompletableFuture.supplyAsync(() -> publishOneLine(f));
      awaitHealth(services, 503, "\"registry\":\"DOWN\"");
      Set<String> w1Paths = f.pathsOf(assignments.get("w1"));
      // every endpoint of w1 fails the first request of this burst's deliveries, whichever partitions it has
      f.receiver.failFirst(w1Paths, 1);
      List<CallEvent> inRegistryOutage = ScaleOutFixture.burst(EVENTS);
      Set<ScaleOutReceiver.Delivery> burst = f.expected(inRegistryOutage);
      expected.addAll(burst);
      publish(publisher, inRegistryOutage);
      // w1's failing endpoints have failed first requests, whose retries come back to w1 through the
      // tiers; from now on w1's endpoints do not answer, so that it surely has requests in flight
      await().atMost(WAIT).until(() -> burst.stream()
          .filter(d -> w1Paths.contains(d.path()) && f.receiver.counts().containsKey(d)).count() >= 5);
      f.receiver.hold(w1Paths);
      await().atMost(WAIT).until(() -> f.receiver.heldCount() > 0);
      String killedMember = memberId(f, "w1");
      long waitingInTiers = f.uncommitted(f.group(RetryScheduler.NAME), tierNames(f));
      long killed = System.nanoTime();
      w1.process().kill();
      Instant killedAt = Instant.now();
      services.remove(w1);
      Set<ScaleOutReceiver.Delivery> inFlightAtKill = f.receiver.heldDeliveries();
      Map<ScaleOutReceiver.Delivery, Integer> receivedAtKill = f.receiver.counts();
      // static membership: the dead member keeps its partitions until its session (10 s) runs out
      Map<String, Set<Integer>> afterKill = f.workerAssignments();
      boolean deadMemberStillHeld = memberId(f, "w1").equals(killedMember)
          && assignments.get("w1").equals(afterKill.get("w1"));
      f.receiver.release();
      await().atMost(WAIT).until(() -> f.workerAssignments().equals(Map.of("w2", ALL)));
      long handoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      step(f, "w1 killed with " + inFlightAtKill.size() + " requests in flight and about " + waitingInTiers
          + " retries in the tiers; its partitions " + assignments.get("w1") + " moved to w2 " + handoverMs
          + " ms later");
      // what the services have read before needs no registry: events keep being delivered
      await().atMost(WAIT).until(() -> f.receiver.answered200().containsAll(expected));
      step(f, "events published during the registry outage delivered");
      stayAliveUntil(services, registryStopped + OUTAGE.toNanos());
      awaitHealth(services, 503, "\"registry\":\"DOWN\"");
      signal("CONT", registry);
      stoppedRegistry = -1;
      step(f, "registry continued");
      awaitHealth(services, 200, "\"registry\":\"UP\"");
      List<CallEvent> afterRegistryOutage = ScaleOutFixture.burst(EVENTS);
      expected.addAll(f.expected(afterRegistryOutage));
      publish(publisher, afterRegistryOutage);
      await().atMost(WAIT).until(() -> f.receiver.answered200().containsAll(expected));
      step(f, "everything delivered");

      // no consumer left behind: every group has committed past every record of its input
      List<ConsumerRecord<String, DeliveryTask>> tasks = f.tasks();
      List<ConsumerRecord<String, DeliveryTask>> tierTasks = f.tierTasks();
      await().atMost(WAIT).until(() -> f.committedPast(f.workerGroup(), tasks)
          && f.committedPast(f.group(RetryScheduler.NAME), tierTasks)
          && f.uncommitted(f.group(FanoutService.NAME), List.of(f.config.topics().callEvents().name())) == 0);
      List<DeliveryAttempt> attempts = f.attempts();
      Map<ScaleOutReceiver.Delivery, List<DeliveryAttempt>> byPair = attempts.stream()
          .collect(Collectors.groupingBy(f::deliveryOf));
      Map<ScaleOutReceiver.Delivery, Integer> repeats = new HashMap<>();
      f.receiver.counts().forEach((pair, n) -> {
        int recorded = byPair.getOrDefault(pair, List.of()).size();
        if (n > recorded) {
          repeats.put(pair, n - recorded);
        }
      });
      // w1's outcomes that were committed before it died: every attempt on its endpoints that started
      // before the kill was w1's (the others waited for its session to run out), and what it had not
      // committed was aborted with it
      Set<ScaleOutReceiver.Delivery> notCommittedAtKill = new HashSet<>();
      receivedAtKill.forEach((pair, n) -> {
        long committed = byPair.getOrDefault(pair, List.of()).stream()
            .filter(a -> a.getStartedAt().isBefore(killedAt)).count();
        if (w1Paths.contains(pair.path()) && n > committed) {
          notCommittedAtKill.add(pair);
        }
      });
      System.out.printf("outages: %d deliveries, %d requests; repeated: %d requests of %d deliveries, of the %d "
          + "under way when the broker stopped and the %d whose outcome the killed worker had not committed "
          + "(%d in flight, %d answered since its last commit); the killed worker's partitions moved after %d ms%n",
          expected.size(), f.receiver.total(), repeats.values().stream().mapToInt(Integer::intValue).sum(),
          repeats.size(), inFlightAtBrokerOutage.size(), notCommittedAtKill.size(), inFlightAtKill.size(),
          notCommittedAtKill.size() - inFlightAtKill.size(), handoverMs);

      // nothing lost, nothing given up
      assertThat(byPair.keySet()).isEqualTo(expected);
      assertThat(byPair.values()).allSatisfy(list -> assertThat(list)
          .filteredOn(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED).hasSize(1));
      assertThat(f.deadLetters()).isEmpty();
      assertThat(f.receiver.badSignatures()).isZero();
      // README "At least once over HTTP": a request is sent again only when its outcome was not committed,
      // because the broker was gone (the work under way when it stopped) or because its worker died first
      // (in flight, or answered since the worker's last commit); none published after the broker came back
      // is repeated, and every request whose outcome the killed worker had not committed is sent again
      Set<ScaleOutReceiver.Delivery> couldRepeat = new HashSet<>(inFlightAtBrokerOutage);
      couldRepeat.addAll(notCommittedAtKill);
      assertThat(repeats.keySet()).isSubsetOf(couldRepeat);
      assertThat(notCommittedAtKill).containsAll(inFlightAtKill);
      assertThat(repeats.keySet()).containsAll(notCommittedAtKill);
      // and a request whose outcome was committed is never sent again: it would be recorded twice
      assertThat(byPair.values()).allSatisfy(list -> assertThat(list.stream().map(DeliveryAttempt::getAttempt))
          .doesNotHaveDuplicates());
      assertThat(deadMemberStillHeld).as("the killed worker's member kept its partitions at first").isTrue();
      assertThat(services).allSatisfy(s -> assertThat(s.process().isAlive()).isTrue());
      // publish with the registry gone: one clear line, no stack trace
      LauncherProcess publish = publishCommand.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(publish.exitCode()).isEqualTo(Webhooks.EXIT_FAILURE);
      assertThat(publish.stderr().lines().toList()).as(publish.stderr()).singleElement().asString()
          .startsWith("error: schema registry at " + stack.registryUrl() + " cannot be reached: ");
    }
  }


  private LauncherProcess up(List<String> stackFlags, String name) throws Exception {
    return awaitUp(startUp(stackFlags, name));
  }

  private LauncherProcess startUp(List<String> stackFlags, String name) throws Exception {
    LauncherProcess up = LauncherProcess.start(logs, name, LauncherProcess.command(stackFlags, "up",
        "--services", "none"));
    closeables.add(up);
    return up;
  }

  private static LauncherProcess awaitUp(LauncherProcess up) {
    await().atMost(WAIT).until(() -> {
      if (!up.isAlive()) {
        throw new IllegalStateException("up exited " + up.exitCode() + ": " + up.stderr());
      }
      return up.stdout().contains("webhooks up:");
    });
    return up;
  }

  /** @return the value of a counter on a service's {@code /metrics}, 0 while it has none */
  private static double counter(ServiceProcess s, String name) throws Exception {
    String metrics = s.health().replace("/health", "/metrics");
    HttpResponse<String> r;
    try {
      r = HTTP.send(HttpRequest.newBuilder(URI.create(metrics)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      return 0;
    }
    return r.body().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private ServiceProcess service(String prefix, String command, String instanceId) throws Exception {
    List<String> args = new ArrayList<>(List.of(command, "--data-dir", dataDir.toString(),
        "--topic-prefix", prefix, "--partitions", Integer.toString(ScaleOutFixture.PARTITIONS),
        "--retry-schedule", SCHEDULE, "--instance-id", instanceId, "--http-port", "0"));
    if (command.equals("delivery-worker")) {
      // the circuit breaker would park the failing endpoints' tasks: deferrals are not this test's subject
      args.addAll(List.of("--circuit-threshold", "0"));
    }
    LauncherProcess p = LauncherProcess.start(logs, command + "-" + instanceId, args);
    closeables.add(p);
    return new ServiceProcess(p);
  }

  /** Waits until every service answers its health check with {@code status} and a body containing {@code part}. */
  private static void awaitHealth(List<ServiceProcess> services, int status, String part) {
    await().atMost(WAIT).until(() -> {
      for (ServiceProcess s : services) {
        if (!s.process().isAlive()) {
          throw new IllegalStateException(s.health() + ": the process exited " + s.process().exitCode()
              + "; stderr: " + s.process().stderr());
        }
        HttpResponse<String> r;
        try {
          r = HTTP.send(HttpRequest.newBuilder(URI.create(s.health())).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          return false;
        }
        if (r.statusCode() != status || !r.body().contains(part)) {
          return false;
        }
      }
      return true;
    });
  }

  /** Waits until {@code deadline} (System.nanoTime) while asserting that every service keeps running. */
  private static void stayAliveUntil(List<ServiceProcess> services, long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return;
    }
    await().pollInterval(Duration.ofSeconds(1)).during(Duration.ofNanos(left)).atMost(Duration.ofNanos(left)
        .plusSeconds(30)).until(() -> services.stream().allMatch(s -> s.process().isAlive()));
  }

  /** @return {@code ./webhooks publish} of one event, run to its end */
  private LauncherProcess publishOneLine(ScaleOutFixture f) {
    try {
      Path line = logs.resolve("one.jsonl");
      Files.writeString(line, "{\"account_id\":\"acct_1\",\"event_id\":\"evt_x\",\"event_type\":\"call.started\","
          + "\"data\":{\"call_id\":\"call_x\"}}\n", StandardCharsets.UTF_8);
      return LauncherProcess.run(logs, "publish", List.of("publish", "--file", line.toString(),
          "--data-dir", dataDir.toString(), "--topic-prefix", f.config.topicPrefix()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** @return the member id of the one member of the worker group with {@code instanceId}, or "" */
  private static String memberId(ScaleOutFixture f, String instanceId) throws Exception {
    List<ScaleOutFixture.Member> members = f.workerMembers().stream()
        .filter(m -> m.instanceId().equals(instanceId)).toList();
    return members.size() == 1 ? members.get(0).memberId() : "";
  }

  /** @return the port of {@code host:port} or of a URL, as a flag's value */
  private static String port(String address) {
    return Integer.toString(address.contains("://") ? URI.create(address).getPort()
        : Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
  }

  private static List<String> tierNames(ScaleOutFixture f) {
    return f.config.topics().retryTopics().stream().map(Topic::name).toList();
  }

  private static void publish(CallEventPublisher publisher, List<CallEvent> events) {
    CompletableFuture.allOf(events.stream().map(publisher::publish).toArray(CompletableFuture[]::new)).join();
  }

  private long registryPid() throws Exception {
    return Long.parseLong(Files.readString(dataDir.resolve("registry").resolve("registry.pid"),
        StandardCharsets.UTF_8).trim());
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
  }

  /** Prints a step of the scenario with the time since the test began, for the record. */
  private void step(ScaleOutFixture f, String what) {
    System.out.printf("outages +%d ms: %s; receiver: %d requests, %d distinct%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), what, f.receiver.total(),
        f.receiver.distinct());
  }
}
