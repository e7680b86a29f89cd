package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EndpointGateTest {

  /** Items are "endpoint:n". */
  private static EndpointGate<String> gate(int total, int perEndpoint) {
    return new EndpointGate<>(total, perEndpoint, s -> s.substring(0, s.indexOf(':')));
  }

  @Test
  void anEndpointAtItsCapWaitsWhileOthersGo() {
    EndpointGate<String> g = gate(10, 2);
    g.enqueue("slow:1");
    g.enqueue("slow:2");
    g.enqueue("slow:3");
    g.enqueue("fast:1");
    assertThat(g.take()).containsExactlyInAnyOrder("slow:1", "slow:2", "fast:1");
    assertThat(g.waiting()).isEqualTo(1);
    g.enqueue("fast:2");
    assertThat(g.take()).containsExactly("fast:2");
    g.release("slow");
    assertThat(g.take()).containsExactly("slow:3");
    assertThat(g.inFlight("slow")).isEqualTo(2);
  }

  @Test
  void theTotalCapIsSharedRoundRobinAndEachEndpointKeepsItsOrder() {
    EndpointGate<String> g = gate(3, 10);
    for (int i = 1; i <= 3; i++) {
      g.enqueue("a:" + i);
    }
    for (int i = 1; i <= 3; i++) {
      g.enqueue("b:" + i);
    }
    assertThat(g.take()).containsExactly("a:1", "b:1", "a:2");
    assertThat(g.take()).isEmpty();
    g.release("a");
    assertThat(g.take()).containsExactly("b:2");
    g.release("b");
    g.release("b");
    assertThat(g.take()).containsExactly("a:3", "b:3");
    assertThat(g.inFlight()).isEqualTo(3);
    assertThat(g.waiting()).isZero();
  }

  @Test
  void removedItemsNeverGoAndReleasingWhatIsNotInFlightIsABug() {
    EndpointGate<String> g = gate(1, 1);
    g.enqueue("a:1");
    g.enqueue("a:2");
    g.removeWaiting(s -> s.equals("a:1"));
    assertThat(g.take()).containsExactly("a:2");
    g.release("a");
    assertThat(g.inFlight()).isZero();
    assertThatThrownBy(() -> g.release("a")).isInstanceOf(IllegalStateException.class);
  }
}
