package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SubscriptionStoreKeysTest {

  private static final List<String> ACCOUNTS =
      List.of("acme", "acme|b", "acme\\", "acme\\|b", "|acme", "acm", "acme|", "\\", "|");

  @Test
  void theAccountPrefixMatchesOnlyKeysOfThatAccount() {
    for (String owner : ACCOUNTS) {
      String key = SubscriptionStoreKeys.subscription(owner, "sub_1");
      for (String other : ACCOUNTS) {
        assertThat(key.startsWith(SubscriptionStoreKeys.accountPrefix(other)))
            .as("key of %s under the prefix of %s", owner, other)
            .isEqualTo(owner.equals(other));
      }
      assertThat(SubscriptionStoreKeys.index("sub_1").startsWith(SubscriptionStoreKeys.accountPrefix(owner)))
          .as("index key under the prefix of %s", owner).isFalse();
    }
  }

  @Test
  void plainIdsReadAsAccountBarSubscription() {
    assertThat(SubscriptionStoreKeys.subscription("acct_1", "sub_9")).isEqualTo("acct_1|sub_9");
  }

  @Test
  void anEmptyAccountHasNoPrefix() {
    assertThatThrownBy(() -> SubscriptionStoreKeys.accountPrefix("")).isInstanceOf(IllegalArgumentException.class);
  }
}
