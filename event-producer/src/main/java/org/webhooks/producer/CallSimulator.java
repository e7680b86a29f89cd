package org.webhooks.producer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.avro.CallEvent;

/**
 * Generates realistic, interleaved call lifecycles: a call starts, gets transcript updates, sentiment
 * changes and keywords, then completes or fails, sometimes followed by an appointment or a ticket.
 * Agents, customers (tier, region, tags) and outcomes vary so that filters have something to select.
 * Deterministic for a given seed. Not thread-safe.
 */
public final class CallSimulator {

  private static final String[] TIERS = {"gold", "silver", "bronze"};
  private static final String[] REGIONS = {"us-east", "us-west", "eu-central", "ap-south"};
  private static final String[] TAGS = {"vip", "returning", "new", "churn-risk", "enterprise"};
  private static final String[] SENTIMENTS = {"negative", "neutral", "positive"};
  private static final String[] KEYWORDS = {"cancel", "refund", "upgrade", "manager", "price", "appointment"};
  private static final String[] OUTCOMES = {"appointment_booked", "resolved", "escalated", "callback_requested"};
  private static final String[] FAIL_REASONS = {"no_answer", "busy", "voicemail", "network_error"};
  private static final String[] UTTERANCES = {
      "Hi, I'd like to book a cleaning for next Monday.", "Can you tell me about your pricing?",
      "I want to cancel my subscription.", "That works for me, thank you.", "Could I speak to a manager?"};
  private static final int ACTIVE_CALLS = 64;

  private final Random random;
  private final int accounts;
  private final Clock clock;
  private final List<Call> active = new ArrayList<>();
  /** Part of every id, so that runs with different seeds never reuse an event id. */
  private final String runTag;
  private long sequence;

  /**
   * @param seed seed of the random choices
   * @param accounts number of accounts ({@code acct_1} .. {@code acct_N}) calls are spread over
   * @param clock gives each event's timestamp
   * @throws IllegalArgumentException when {@code accounts < 1}
   */
  public CallSimulator(long seed, int accounts, Clock clock) {
    if (accounts < 1) {
      throw new IllegalArgumentException("--accounts must be at least 1");
    }
    this.random = new Random(seed);
    this.accounts = accounts;
    this.clock = clock;
    this.runTag = Long.toString(seed & 0xFFFFFFFFFFL, 36);
  }

  /** @return the next event of one of the calls in progress (a new call starts when there is room). */
  public CallEvent next() {
    if (active.size() < ACTIVE_CALLS && (active.isEmpty() || random.nextInt(4) == 0)) {
      active.add(newCall());
    }
    int i = random.nextInt(active.size());
    Call call = active.get(i);
    CallEvent event = call.nextEvent();
    if (call.finished()) {
      active.remove(i);
    }
    return event;
  }

  private Call newCall() {
    long n = ++sequence;
    return new Call("call_" + runTag + "_" + n, "acct_" + (1 + random.nextInt(accounts)), "agent_" + (1 + random.nextInt(20)),
        "+1555" + String.format("%07d", random.nextInt(10_000_000)));
  }

  private final class Call {
    private final String callId;
    private final String accountId;
    private final String agentId;
    private final String phone;
    private final ObjectNode customer;
    private final List<String> plan = new ArrayList<>();
    private int step;
    private int durationSeconds;
    private String sentiment = "neutral";

    Call(String callId, String accountId, String agentId, String phone) {
      this.callId = callId;
      this.accountId = accountId;
      this.agentId = agentId;
      this.phone = phone;
      this.customer = JsonNodeFactory.instance.objectNode();
      customer.put("id", "cust_" + random.nextInt(5000));
      customer.put("tier", TIERS[random.nextInt(TIERS.length)]);
      customer.put("region", REGIONS[random.nextInt(REGIONS.length)]);
      customer.putArray("tags").add(TAGS[random.nextInt(TAGS.length)]);
      customer.put("lifetime_value", random.nextInt(20_000));
      plan.add("call.started");
      for (int t = 1 + random.nextInt(4); t > 0; t--) {
        plan.add("transcript.updated");
      }
      for (int s = random.nextInt(3); s > 0; s--) {
        plan.add("sentiment.changed");
      }
      for (int k = random.nextInt(3); k > 0; k--) {
        plan.add("keyword.detected");
      }
      boolean failed = random.nextInt(5) == 0;
      plan.add(failed ? "call.failed" : "call.completed");
      if (!failed && random.nextInt(10) < 3) {
        plan.add("appointment.booked");
      }
      if (random.nextInt(10) < (failed ? 3 : 1)) {
        plan.add("ticket.created");
      }
    }

    boolean finished() {
      return step >= plan.size();
    }

    CallEvent nextEvent() {
      String type = plan.get(step++);
      durationSeconds += 5 + random.nextInt(40);
      ObjectNode envelope = JsonNodeFactory.instance.objectNode();
      envelope.put("account_id", accountId);
      envelope.put("event_id", "evt_" + callId.substring("call_".length()) + "_" + step);
      envelope.put("event_type", type);
      ObjectNode data = envelope.putObject("data");
      data.put("call_id", callId);
      data.put("agent_id", agentId);
      switch (type) {
        case "call.started" -> {
          data.put("caller_phone", phone);
          data.put("direction", random.nextBoolean() ? "inbound" : "outbound");
          data.set("customer", customer.deepCopy());
        }
        case "transcript.updated" -> {
          ObjectNode segment = data.putObject("segment");
          segment.put("speaker", random.nextBoolean() ? "caller" : "agent");
          segment.put("text", UTTERANCES[random.nextInt(UTTERANCES.length)]);
          segment.put("start_ms", durationSeconds * 1000L);
          segment.put("end_ms", durationSeconds * 1000L + 2500 + random.nextInt(4000));
        }
        case "sentiment.changed" -> {
          String next = SENTIMENTS[random.nextInt(SENTIMENTS.length)];
          data.put("previous_sentiment", sentiment);
          data.put("sentiment", next);
          sentiment = next;
          data.put("sentiment_score", Math.round((random.nextDouble() * 2 - 1) * 100) / 100.0);
        }
        case "keyword.detected" -> {
          data.put("keyword", KEYWORDS[random.nextInt(KEYWORDS.length)]);
          data.put("speaker", random.nextBoolean() ? "caller" : "agent");
          data.put("offset_seconds", durationSeconds + random.nextInt(10) / 10.0);
        }
        case "call.completed" -> {
          data.put("caller_phone", phone);
          data.put("duration_seconds", durationSeconds);
          data.put("transcript", "Full conversation transcript...");
          data.put("sentiment", sentiment);
          data.put("outcome", OUTCOMES[random.nextInt(OUTCOMES.length)]);
          data.set("customer", customer.deepCopy());
        }
        case "call.failed" -> {
          data.put("caller_phone", phone);
          data.put("reason", FAIL_REASONS[random.nextInt(FAIL_REASONS.length)]);
          data.put("duration_seconds", durationSeconds);
        }
        case "appointment.booked" -> {
          data.put("caller_phone", phone);
          data.put("appointment_id", "appt_" + random.nextInt(100_000));
          data.put("appointment_time", clock.instant().plusSeconds(86_400L * (1 + random.nextInt(14)))
              .truncatedTo(java.time.temporal.ChronoUnit.HOURS).toString());
        }
        default -> {
          data.put("ticket_id", "tkt_" + random.nextInt(100_000));
          data.put("priority", random.nextInt(4) == 0 ? "high" : "normal");
          data.put("subject", "Follow-up on call " + callId);
        }
      }
      data.putObject("metadata").put("simulated", true);
      return CallEventJson.parse(envelope, clock.instant());
    }
  }
}
