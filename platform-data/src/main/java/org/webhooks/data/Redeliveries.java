package org.webhooks.data;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.MatchSource;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.schemas.avro.SubscriptionVerdict;

/**
 * Deliveries made again for one endpoint, the operations the CLI and the control plane share:
 *
 * <ul>
 *   <li>{@link #recover}: the endpoint's <em>failed</em> deliveries since a time are sent again, each once;
 *   <li>{@link #replay}: matching is run again for the endpoint over {@code call-events} of a time range,
 *       and every event it matches is delivered (catching up after an outage or a wrong filter, or
 *       back-filling a new endpoint);
 *   <li>{@link #resend}: one delivery is sent again.
 * </ul>
 *
 * <p>A delivery made again is the first attempt of the same delivery: the same delivery id, the same
 * {@code webhook-id} (event id) and the same body bytes, so receivers that deduplicate by
 * {@code webhook-id} see a repeat, never a new event. Everything is read from Kafka (the endpoint's
 * partition of {@code webhook-attempts} and {@code webhook-dead-letters}, the events' topics) and
 * written through {@link TaskWriter} in one transaction per call. Calls are serialised (one event reader
 * and one transactional writer per instance).
 */
public final class Redeliveries implements AutoCloseable {

  /** Records of the endpoint's partition of webhook-attempts a recovery reads at most. */
  public static final int MAX_RECOVERY_SCAN = 1_000_000;
  /** Records of call-events one replay call reads at most (and its default). */
  public static final int MAX_REPLAY_RECORDS = 10_000;

  private final WebhooksConfig config;
  private final EventLog log;
  private final TaskWriter writer;
  private final AvroSerde<DeliveryAttempt> attempts;
  private final AvroSerde<DeadLetter> letters;
  private final Clock clock;

  /**
   * @param config where the broker, the registry and the topics are, and the instance id
   * @param role names this process's transactional writer (see {@link TaskWriter})
   * @param clock the time of the tasks written
   */
  public Redeliveries(WebhooksConfig config, String role, Clock clock) {
    this.config = config;
    this.log = new EventLog(config);
    this.writer = new TaskWriter(config, role);
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    this.attempts = new AvroSerde<>(registry, DeliveryAttempt.getClassSchema());
    this.letters = new AvroSerde<>(registry, DeadLetter.getClassSchema());
    this.clock = clock;
  }

  // ---- recover

  /**
   * One delivery sent again by a recovery.
   *
   * @param deliveryId the delivery
   * @param eventId its event ({@code webhook-id})
   * @param eventType its event type
   * @param lastOutcome the outcome of its last attempt: a failure, or {@code cancelled}
   * @param lastAttemptAt when that attempt started
   * @param source {@code dead_letter} (its dead letter's task, marked redelivered) or {@code event_log}
   *     (its event read back from the event's topic)
   */
  public record Recovered(String deliveryId, String eventId, String eventType, String lastOutcome,
      Instant lastAttemptAt, String source) {}

  /**
   * A failed delivery not sent again.
   *
   * @param reason why: sent again already, or its event is gone from its topic
   */
  public record NotRecovered(String deliveryId, String eventId, String reason) {}

  /**
   * What a recovery did.
   *
   * @param recovered the deliveries sent again
   * @param notRecovered failed deliveries left as they are, with the reason
   * @param attemptsRead attempt records read from the endpoint's partition
   */
  public record Recovery(List<Recovered> recovered, List<NotRecovered> notRecovered, long attemptsRead) {}

  /**
   * Sends again, each once, the endpoint's <em>failed</em> deliveries since {@code since}: those whose
   * last attempt started at or after it, was final and did not succeed. That is a delivery given up on
   * (dead-lettered after its last retry, or at once when blocked by the address rules or not buildable,
   * or because it stayed parked by an open circuit for longer than the schedule allows: a final
   * {@code deferred} attempt), one that got 410 Gone, and one cancelled because the endpoint was disabled
   * or deleted meanwhile. Deliveries still waiting for a retry, or parked by an open circuit, are not
   * failed: their last attempt is not final. A dead-lettered delivery is sent from its dead letter, which
   * is marked redelivered exactly as {@code dead-letters redeliver} marks it (so neither sends it twice);
   * any other from its event, read back from the event's topic, with a marker naming its last attempt. A failure sent again
   * is not sent again until a later attempt fails anew.
   *
   * @param subscription the endpoint, enabled
   * @throws CannotRedeliverException when the subscription is disabled
   * @throws IllegalArgumentException ("since: ...") when it is in the future, as for {@link #replay}, or
   *     more than {@link #MAX_RECOVERY_SCAN} attempt records were written to the endpoint's partition
   *     since then
   * @throws org.apache.kafka.common.KafkaException when Kafka cannot be reached or the write fails
   */
  public synchronized Recovery recover(Subscription subscription, Instant since) {
    requireEnabled(subscription);
    if (since.isAfter(clock.instant())) {
      throw new IllegalArgumentException("since: " + since + " is in the future");
    }
    String id = subscription.getId();
    Map<String, DeliveryAttempt> last = new LinkedHashMap<>();
    String attemptsTopic = config.topics().attempts().name();
    long read = TopicSnapshot.readKeySince(config, attemptsTopic, id, since, r -> {
      DeliveryAttempt a = decode(attempts, attemptsTopic, r.value());
      if (a != null && a.getSubscriptionId().equals(id) && a.getAccountId().equals(subscription.getAccountId())) {
        last.remove(a.getDeliveryId());
        last.put(a.getDeliveryId(), a);
      }
      return true;
    });
    if (read > MAX_RECOVERY_SCAN) {
      throw new IllegalArgumentException("since: more than " + MAX_RECOVERY_SCAN + " attempts were recorded on this "
          + "endpoint's partition since " + since + "; choose a later time");
    }
    List<DeliveryAttempt> failed = last.values().stream().filter(a -> !a.getStartedAt().isBefore(since))
        .filter(Redeliveries::failed).toList();
    Map<String, DeadLetters.Entry> deadLetters = new HashMap<>();
    Set<String> redelivered = new HashSet<>();
    String lettersTopic = config.topics().deadLetters().name();
    TopicSnapshot.readKeySince(config, lettersTopic, id, since, r -> {
      DeadLetter dl = decode(letters, lettersTopic, r.value());
      if (dl == null) {
        return true;
      }
      if (dl.getKind() == DeadLetterKind.REDELIVERED && dl.getRedeliveredId() != null) {
        redelivered.add(dl.getRedeliveredId());
      } else if (dl.getKind() == DeadLetterKind.EXHAUSTED && dl.getTask() != null
          && id.equals(dl.getTask().getSubscriptionId())) {
        deadLetters.put(dl.getTask().getDeliveryId(), new DeadLetters.Entry(DeadLetters.idOf(r), dl, false));
      }
      return true;
    });

    Instant now = clock.instant();
    List<Recovered> recovered = new ArrayList<>();
    List<NotRecovered> notRecovered = new ArrayList<>();
    List<DeliveryTask> tasks = new ArrayList<>();
    List<DeadLetter> markers = new ArrayList<>();
    Map<DeliveryAttempt, EventLog.EventRef> fromLog = new LinkedHashMap<>();
    for (DeliveryAttempt a : failed) {
      DeadLetters.Entry dl = deadLetters.get(a.getDeliveryId());
      boolean sameFailure = dl != null && !dl.letter().getDeadLetteredAt().isBefore(a.getStartedAt());
      String markerId = sameFailure ? dl.id() : "attempt-" + a.getAttemptId();
      if (redelivered.contains(markerId)) {
        notRecovered.add(new NotRecovered(a.getDeliveryId(), a.getEventId(), "sent again already (" + markerId + ")"));
      } else if (sameFailure) {
        DeliveryTask fresh = DeadLetters.fresh(dl.letter().getTask(), now);
        tasks.add(fresh);
        markers.add(DeadLetters.marker(markerId, fresh, now));
        recovered.add(recovered(a, "dead_letter"));
      } else {
        fromLog.put(a, new EventLog.EventRef(a.getEventId(), a.getEventType(), a.getEventPublishedAt()));
      }
    }
    Map<EventLog.EventRef, EventLog.LoggedEvent> events = log.find(fromLog.values());
    for (Map.Entry<DeliveryAttempt, EventLog.EventRef> e : fromLog.entrySet()) {
      DeliveryAttempt a = e.getKey();
      EventLog.LoggedEvent event = events.get(e.getValue());
      if (event == null || !event.accountId().equals(subscription.getAccountId())) {
        notRecovered.add(new NotRecovered(a.getDeliveryId(), a.getEventId(), "its event is no longer in "
            + topicOf(e.getValue()) + " (published " + a.getEventPublishedAt() + ")"));
        continue;
      }
      DeliveryTask fresh = task(subscription, event, now);
      tasks.add(fresh);
      markers.add(DeadLetters.marker("attempt-" + a.getAttemptId(), fresh, now));
      recovered.add(recovered(a, "event_log"));
    }
    writer.write(tasks, markers, List.of());
    return new Recovery(recovered, notRecovered, read);
  }

  // a final DEFERRED attempt is a delivery dead-lettered while its endpoint's circuit stayed open
  private static boolean failed(DeliveryAttempt a) {
    return a.getFinal$() && (AttemptOutcomes.isFailure(a.getOutcome()) || a.getOutcome() == AttemptOutcome.CANCELLED
        || a.getOutcome() == AttemptOutcome.DEFERRED);
  }

  private static Recovered recovered(DeliveryAttempt a, String source) {
    return new Recovered(a.getDeliveryId(), a.getEventId(), a.getEventType(), AttemptOutcomes.wireName(a.getOutcome()),
        a.getStartedAt(), source);
  }

  // ---- replay

  /**
   * What one replay call did.
   *
   * @param since the start of the range (events published at or after it)
   * @param until the end of the range (events published at or before it): as asked, or the time of the
   *     first call when none was asked
   * @param recordsRead call-events records read by this call
   * @param delivered events matched and delivered by this call
   * @param complete true when the whole range has been read
   * @param nextCursor when not complete, pass it with the same {@code since} to go on; null when complete
   */
  public record Replay(Instant since, Instant until, long recordsRead, long delivered, boolean complete,
      String nextCursor) {}

  /**
   * Runs matching again for one endpoint over the {@code call-events} published in [{@code since},
   * {@code until}] and delivers each event it matches, by the same rules as the fanout
   * ({@link EventMatching}: the event's account, the endpoint's event types and filter as they are now)
   * except that events published before the endpoint was created match too. One call reads at most
   * {@code maxRecords} records and writes its deliveries, with a {@code replay} match verdict for each, in
   * one transaction; a range that needs more answers a cursor to call again with.
   *
   * @param until the end of the range, or null for now
   * @param cursor the {@link Replay#nextCursor()} of the previous call of the same range, or null to start
   * @param maxRecords 1 to {@link #MAX_REPLAY_RECORDS}
   * @throws CannotRedeliverException when the subscription is disabled
   * @throws IllegalArgumentException naming {@code since}, {@code until}, {@code cursor} or {@code limit}
   *     when one is wrong
   */
  public synchronized Replay replay(Subscription subscription, Instant givenSince, Instant givenUntil, String cursor,
      int maxRecords) {
    requireEnabled(subscription);
    if (maxRecords < 1 || maxRecords > MAX_REPLAY_RECORDS) {
      throw new IllegalArgumentException("limit: must be 1.." + MAX_REPLAY_RECORDS + " records");
    }
    // Kafka timestamps are milliseconds, and so is the cursor: a since given in finer units must still
    // match the cursor of its own range on the next call
    Instant since = givenSince.truncatedTo(ChronoUnit.MILLIS);
    Instant until = givenUntil == null ? null : givenUntil.truncatedTo(ChronoUnit.MILLIS);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    if (since.isAfter(now)) {
      throw new IllegalArgumentException("since: " + givenSince + " is in the future");
    }
    ReplayCursor position = cursor == null ? null : ReplayCursor.decode(cursor);
    Instant end;
    Map<Integer, Long> ends;
    if (position == null) {
      end = until == null || until.isAfter(now) ? now : until;
      if (since.isAfter(end)) {
        throw new IllegalArgumentException("since: " + givenSince + " is after until " + end);
      }
      ends = log.endOffsets();
    } else {
      // an until after the cursor's is the same range: the first call ended a range in the future at its now
      if (!position.since().equals(since) || (until != null && until.isBefore(position.until()))) {
        throw new IllegalArgumentException("cursor: was given for another range than since " + givenSince
            + (givenUntil == null ? "" : " and until " + givenUntil));
      }
      end = position.until();
      ends = position.ends();
      requireWithin(position, log.endOffsets(), cursor);
    }
    SubscriptionFilter filter = null;
    String filterProblem = null;
    if (subscription.getFilter() != null && !subscription.getFilter().isBlank()) {
      try {
        filter = SubscriptionFilter.compile(subscription.getFilter());
      } catch (IllegalArgumentException e) {
        filterProblem = e.getMessage();
      }
    }
    SubscriptionFilter compiled = filter;
    String problem = filterProblem;
    List<DeliveryTask> tasks = new ArrayList<>();
    List<MatchVerdicts> verdicts = new ArrayList<>();
    EventLog.ScanResult scan = log.scanCallEvents(since, end, position == null ? null : position.next(), ends,
        maxRecords, event -> {
          if (!EventMatching.ofAccount(subscription, event.accountId())
              || EventMatching.terms(subscription, event.eventType(), event.publishedAt(), false) != MatchVerdict.MATCHED) {
            return;
          }
          var tree = event.body().get();
          EventMatching.FilterVerdict verdict = EventMatching.filter(compiled, problem, () -> FilterInput.of(tree));
          if (verdict.verdict() != MatchVerdict.MATCHED) {
            return;
          }
          tasks.add(task(subscription, event, now));
          verdicts.add(MatchVerdicts.newBuilder().setEventId(event.eventId()).setEventType(event.eventType())
              .setAccountId(event.accountId()).setPublishedAt(event.publishedAt()).setDecidedAt(now)
              .setSource(MatchSource.REPLAY)
              .setVerdicts(List.of(new SubscriptionVerdict(subscription.getId(), MatchVerdict.MATCHED, null)))
              .build());
        });
    writer.write(tasks, List.of(), verdicts);
    String next = scan.complete() ? null : new ReplayCursor(since, end, scan.next(), ends).encode();
    return new Replay(since, end, scan.recordsRead(), tasks.size(), scan.complete(), next);
  }

  /**
   * Refuses a cursor whose offsets are not of {@code call-events} as it is: a partition it does not have,
   * or an end past the partition's end, which a read could never reach.
   *
   * @param current the end offset of each partition now ({@link EventLog#endOffsets()})
   * @throws IllegalArgumentException naming {@code cursor}
   */
  private static void requireWithin(ReplayCursor position, Map<Integer, Long> current, String cursor) {
    for (Map.Entry<Integer, Long> e : position.ends().entrySet()) {
      Long partitionEnd = current.get(e.getKey());
      long next = position.next().getOrDefault(e.getKey(), e.getValue());
      String wrong = partitionEnd == null ? "it has no partition " + e.getKey()
          : e.getValue() > partitionEnd ? "partition " + e.getKey() + " ends at offset " + partitionEnd
          : next < 0 || next > e.getValue() ? "partition " + e.getKey() + "'s next offset " + next
              + " is not within 0.." + e.getValue() : null;
      if (wrong != null) {
        throw new IllegalArgumentException("cursor: '" + cursor + "' is not a cursor a replay of call-events returned ("
            + wrong + ")");
      }
    }
  }

  /** Where a replay goes on: the range, the next offset and the end offset of each partition. */
  private record ReplayCursor(Instant since, Instant until, Map<Integer, Long> next, Map<Integer, Long> ends) {

    private static final String VERSION = "r1";

    String encode() {
      StringBuilder b = new StringBuilder(VERSION).append(':').append(since.toEpochMilli()).append(':')
          .append(until.toEpochMilli()).append(':');
      new TreeMap<>(ends).forEach((p, e) -> b.append(p).append('=').append(next.getOrDefault(p, e)).append('/')
          .append(e).append(','));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    static ReplayCursor decode(String text) {
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split(":", -1);
        if (parts.length != 4 || !parts[0].equals(VERSION)) {
          throw new IllegalArgumentException("unknown form");
        }
        Map<Integer, Long> next = new HashMap<>();
        Map<Integer, Long> ends = new HashMap<>();
        for (String p : parts[3].split(",")) {
          if (p.isEmpty()) {
            continue;
          }
          String[] kv = p.split("[=/]");
          next.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
          ends.put(Integer.parseInt(kv[0]), Long.parseLong(kv[2]));
        }
        return new ReplayCursor(Instant.ofEpochMilli(Long.parseLong(parts[1])),
            Instant.ofEpochMilli(Long.parseLong(parts[2])), next, ends);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("cursor: '" + text + "' is not a cursor a replay returned");
      }
    }
  }

  // ---- resend

  /**
   * Sends one delivery again now: its event, read back from the event's topic, as the first attempt of
   * the same delivery. Unlike a recovery, it sends whatever the delivery's outcome was, every time asked.
   *
   * @param subscription the endpoint, enabled
   * @param event the delivery's event, as its attempts record it
   * @return the task written
   * @throws CannotRedeliverException when the subscription is disabled, or the event is no longer in its topic
   */
  public synchronized DeliveryTask resend(Subscription subscription, EventLog.EventRef event) {
    requireEnabled(subscription);
    EventLog.LoggedEvent found = loggedEvent(subscription.getAccountId(), event).orElseThrow(() ->
        new CannotRedeliverException(goneFromLog(event) + ": it cannot be sent again"));
    DeliveryTask task = task(subscription, found, clock.instant());
    writer.write(List.of(task), List.of(), List.of());
    return task;
  }

  // ---- what was delivered

  /**
   * A delivery's event read back from its topic by its publish time, as {@link #resend} reads it: its
   * {@link EventLog.LoggedEvent#render()} is byte for byte the body every attempt of the delivery sent.
   *
   * @param accountId the account the delivery belongs to: an event of another account is not answered
   * @param event the delivery's event, as its attempts record it
   * @return the event, or empty when it is no longer in its topic (past the topic's retention)
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached
   */
  public synchronized Optional<EventLog.LoggedEvent> loggedEvent(String accountId, EventLog.EventRef event) {
    EventLog.LoggedEvent found = log.find(List.of(event)).get(event);
    return found == null || !found.accountId().equals(accountId) ? Optional.empty() : Optional.of(found);
  }

  /** @return why {@link #loggedEvent} found nothing, in words: "event E (published T) is no longer in TOPIC" */
  public String goneFromLog(EventLog.EventRef event) {
    return "event " + event.eventId() + " (published " + event.publishedAt() + ") is no longer in " + topicOf(event);
  }

  // ---- helpers

  private static DeliveryTask task(Subscription subscription, EventLog.LoggedEvent event, Instant now) {
    return DeliveryTasks.first(subscription.getId(), event.accountId(), event.eventId(), event.eventType(),
        event.callId(), event.render(), event.publishedAt(), now);
  }

  private static void requireEnabled(Subscription subscription) {
    if (!subscription.getEnabled()) {
      throw new CannotRedeliverException("subscription " + subscription.getId() + " is disabled: enable it first, "
          + "or its deliveries end as cancelled");
    }
  }

  private String topicOf(EventLog.EventRef ref) {
    return ref.operational() ? config.topics().operationalEvents().name() : config.topics().callEvents().name();
  }

  private static <T extends org.apache.avro.specific.SpecificRecord> T decode(AvroSerde<T> serde, String topic,
      byte[] value) {
    if (value == null) {
      return null;
    }
    try {
      return serde.deserialize(topic, value);
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      return null;
    }
  }

  /**
   * A delivery cannot be made again as things are: the subscription is disabled, or the event is gone
   * from its topic. Not the request's fault; a REST layer answers 409.
   */
  public static final class CannotRedeliverException extends IllegalStateException {
    public CannotRedeliverException(String message) {
      super(message);
    }
  }

  @Override
  public synchronized void close() {
    log.close();
    writer.close();
  }
}
