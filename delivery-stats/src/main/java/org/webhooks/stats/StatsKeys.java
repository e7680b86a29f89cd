package org.webhooks.stats;

/**
 * Keys of the delivery-stats stores: {@code <account_id>|<id>}, where the id is a subscription id or
 * an event id. Every key starts with its account, so a query that builds its key from the caller's
 * account can only ever reach that account's entries.
 *
 * <p>A {@code |} or {@code \} inside an account id is escaped with {@code \}, so the first unescaped
 * {@code |} always ends the account id: account {@code a} with id {@code b|c} and account {@code a|b}
 * with id {@code c} have different keys.
 */
final class StatsKeys {

  private StatsKeys() {}

  /**
   * @return the store key of {@code id} in {@code accountId}
   * @throws IllegalArgumentException when either is null or empty
   */
  static String of(String accountId, String id) {
    if (accountId == null || accountId.isEmpty()) {
      throw new IllegalArgumentException("account id is empty");
    }
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("id is empty");
    }
    return escape(accountId) + '|' + id;
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
