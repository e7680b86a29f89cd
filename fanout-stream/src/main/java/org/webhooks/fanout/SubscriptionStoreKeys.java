package org.webhooks.fanout;

/**
 * Keys of the subscription store, which holds two kinds of entry:
 *
 * <ul>
 *   <li>{@code <account_id>|<subscription_id>} -> the subscription's value bytes, so that all
 *       subscriptions of one account are found with one prefix scan of {@code <account_id>|};
 *   <li>{@code |id|<subscription_id>} -> the account id (UTF-8), because a tombstone carries only the
 *       subscription id and the entry to delete is keyed by account.
 * </ul>
 *
 * <p>A {@code |} or {@code \} inside an account id is escaped with {@code \}, so the first unescaped
 * {@code |} of a key always ends the account id: the prefix of account {@code a} can never match a
 * key of account {@code a|b}, which would leak one tenant's events to another. No escaped account id
 * is empty or starts with an unescaped {@code |}, so index keys never collide with subscription keys.
 */
final class SubscriptionStoreKeys {

  private static final String INDEX_PREFIX = "|id|";

  private SubscriptionStoreKeys() {}

  /**
   * @return the prefix shared by every subscription key of {@code accountId}
   * @throws IllegalArgumentException when {@code accountId} is null or empty (its prefix would be
   *     {@code |}, which also matches the index entries)
   */
  static String accountPrefix(String accountId) {
    if (accountId == null || accountId.isEmpty()) {
      throw new IllegalArgumentException("account id is empty");
    }
    return escape(accountId) + '|';
  }

  /** @return the key of one subscription's value; same rules as {@link #accountPrefix}. */
  static String subscription(String accountId, String subscriptionId) {
    return accountPrefix(accountId) + subscriptionId;
  }

  /** @return the key of the entry that records which account a subscription id belongs to. */
  static String index(String subscriptionId) {
    return INDEX_PREFIX + subscriptionId;
  }

  private static String escape(String s) {
    if (s.indexOf('|') < 0 && s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 4);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '|' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}
