package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.webhooks.fanout.Fixtures.subscription;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.avro.Subscription;

class DecodedSubscriptionsTest {

  private final Subscription first = subscription("acct_a", Instant.EPOCH, "call.completed");
  private final Subscription second = subscription("acct_a", Instant.EPOCH, "call.failed");
  private final AtomicInteger decodes = new AtomicInteger();

  private Function<byte[], Subscription> decoder() {
    return bytes -> {
      decodes.incrementAndGet();
      return bytes[0] == 1 ? first : second;
    };
  }

  @Test
  void theSameBytesAreDecodedOnceAndChangedBytesAgain() {
    DecodedSubscriptions cache = new DecodedSubscriptions();
    byte[] v1 = {1, 2, 3};
    assertThat(cache.get("k", v1, decoder()).subscription()).isSameAs(first);
    assertThat(cache.get("k", new byte[] {1, 2, 3}, decoder()).subscription()).isSameAs(first);
    assertThat(decodes).hasValue(1);

    // the caller's array changing afterwards does not change what was kept
    v1[1] = 9;
    assertThat(cache.get("k", new byte[] {1, 2, 3}, decoder()).subscription()).isSameAs(first);
    assertThat(decodes).hasValue(1);

    assertThat(cache.get("k", new byte[] {2, 2, 3}, decoder()).subscription()).isSameAs(second);
    assertThat(decodes).hasValue(2);
  }

  @Test
  void keepsAtMostTheBoundDroppingTheLeastRecentlyUsed() {
    DecodedSubscriptions cache = new DecodedSubscriptions();
    for (int i = 0; i <= DecodedSubscriptions.MAX_ENTRIES; i++) {
      cache.get("k" + i, new byte[] {1}, decoder());
      cache.get("k0", new byte[] {1}, decoder());
    }
    assertThat(cache.size()).isEqualTo(DecodedSubscriptions.MAX_ENTRIES);
    int before = decodes.get();
    cache.get("k0", new byte[] {1}, decoder());
    assertThat(decodes.get()).isEqualTo(before);
    cache.get("k1", new byte[] {1}, decoder());
    assertThat(decodes.get()).isEqualTo(before + 1);
  }

  @Test
  void aFilterIsCompiledOncePerSubscriptionVersion() {
    first.setFilter("data.outcome == 'resolved'");
    second.setFilter("data.outcome == ");
    DecodedSubscriptions cache = new DecodedSubscriptions();

    DecodedSubscriptions.Decoded d = cache.get("k", new byte[] {1}, decoder());
    assertThat(d.filter().expression()).isEqualTo("data.outcome == 'resolved'");
    assertThat(d.hasFilter()).isTrue();
    assertThat(cache.get("k", new byte[] {1}, decoder()).filter()).isSameAs(d.filter());

    // a new version whose filter does not compile: it has a filter, and it accepts nothing
    DecodedSubscriptions.Decoded broken = cache.get("k", new byte[] {2}, decoder());
    assertThat(broken.filter()).isNull();
    assertThat(broken.hasFilter()).isTrue();
    assertThat(broken.filterProblem()).startsWith("at 1:17: ");
  }
}
