package org.webhooks.schemas;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Request headers a subscription's custom {@code headers} may never set, because the platform sets them
 * itself or they belong to the connection: the Standard Webhooks headers ({@code webhook-id},
 * {@code webhook-timestamp}, {@code webhook-signature} and every other {@code webhook-*}), the content
 * headers ({@code content-*}), {@code host}, {@code user-agent}, and the hop-by-hop headers of
 * RFC 9110 section 7.6.1 ({@code connection}, {@code keep-alive}, {@code proxy-*}, {@code te},
 * {@code trailer}, {@code transfer-encoding}, {@code upgrade}) with {@code expect}. Names compare
 * case-insensitively. The worker leaves such a header out even when a record holds one.
 */
public final class ReservedHeaders {

  private static final Set<String> NAMES = Set.of("host", "user-agent", "connection", "keep-alive", "te",
      "trailer", "transfer-encoding", "upgrade", "expect");
  private static final Set<String> PREFIXES = Set.of("webhook-", "content-", "proxy-");
  /** An HTTP field name: a token (RFC 9110 section 5.1). */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private ReservedHeaders() {}

  /** @return true when {@code name} (any case) may not be set by a subscription */
  public static boolean isReserved(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return NAMES.contains(n) || PREFIXES.stream().anyMatch(n::startsWith);
  }

  /**
   * @return true when the header can be sent as written: the name is a token and the value holds no
   *     control character but horizontal tab (no line break that could start another header)
   */
  public static boolean isWellFormed(String name, String value) {
    if (name == null || value == null || !TOKEN.matcher(name).matches()) {
      return false;
    }
    return value.chars().noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f);
  }
}
