package org.webhooks.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.avro.CallEvent;

class CallSimulatorTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-15T15:45:32Z"), ZoneOffset.UTC);

  @Test
  void callsFollowARealisticLifecycleAndCoverEveryEventType() {
    CallSimulator sim = new CallSimulator(42, 5, CLOCK);
    Map<String, List<String>> byCall = new LinkedHashMap<>();
    Set<String> ids = new HashSet<>();
    Set<String> accounts = new HashSet<>();
    for (int i = 0; i < 3000; i++) {
      CallEvent e = sim.next();
      assertThat(ids.add(e.getEventId())).as("event ids are unique").isTrue();
      accounts.add(e.getAccountId());
      byCall.computeIfAbsent(e.getCallId(), k -> new ArrayList<>()).add(EventTypes.wireName(e.getEventType()));
    }
    Set<String> seen = new HashSet<>();
    byCall.values().forEach(seen::addAll);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(EventTypes.ALL);
    assertThat(accounts).containsExactlyInAnyOrder("acct_1", "acct_2", "acct_3", "acct_4", "acct_5");
    for (List<String> types : byCall.values()) {
      assertThat(types.get(0)).isEqualTo("call.started");
      int end = Math.max(types.indexOf("call.completed"), types.indexOf("call.failed"));
      if (end >= 0) {
        assertThat(types.subList(end + 1, types.size())).allMatch(t -> t.equals("appointment.booked") || t.equals("ticket.created"));
        assertThat(types.subList(0, end)).noneMatch(t -> t.equals("appointment.booked") || t.equals("ticket.created"));
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameEventsAndAnotherSeedOtherIds() {
    CallSimulator a = new CallSimulator(7, 3, CLOCK);
    CallSimulator b = new CallSimulator(7, 3, CLOCK);
    CallSimulator c = new CallSimulator(8, 3, CLOCK);
    for (int i = 0; i < 200; i++) {
      CallEvent ea = a.next();
      assertThat(b.next()).isEqualTo(ea);
      assertThat(c.next().getEventId()).isNotEqualTo(ea.getEventId());
    }
  }
}
