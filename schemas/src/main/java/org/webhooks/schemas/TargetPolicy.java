package org.webhooks.schemas;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which URLs a subscription may target. Endpoints must be {@code https} and must not resolve to a
 * non-public address, so that a customer cannot make the platform call its own network (SSRF).
 * Refused: loopback, private, link-local, CGNAT, benchmarking, documentation, IETF protocol
 * assignments, multicast, reserved and unspecified IPv4 ranges; IPv6 loopback, unspecified,
 * IPv4-compatible ({@code ::/96}, deprecated), IPv4-translated ({@code ::ffff:0:0:0/96}, RFC 2765),
 * discard-only, documentation, benchmarking, ORCHID,
 * local-use NAT64, unique-local, link-local, site-local and multicast ranges.
 *
 * <p>IPv6 addresses that carry an IPv4 address are judged by it as well, because that is the host
 * they reach: IPv4-mapped ({@code ::ffff:0:0/96}), NAT64 ({@code 64:ff9b::/96}, the last 32 bits),
 * 6to4 ({@code 2002::/16}, bits 16-47) and Teredo ({@code 2001::/32}: the server in bits 32-63, the
 * client in the last 32 bits inverted). Such an address is refused when an embedded IPv4 address
 * is refused, and permitted when all of them are public: a worker on an IPv6-only network reaches
 * every IPv4-only endpoint through NAT64, so refusing the prefix outright would refuse those
 * endpoints.
 *
 * <p>Hosts and CIDR ranges listed in {@code WEBHOOKS_ALLOWED_TARGETS} are exempt from both rules
 * (an embedded IPv4 address in a listed range is exempt too). Checked at save ({@link #checkUrl}:
 * the URL and literal addresses) and again at send ({@link #permits}: every resolved address).
 */
public final class TargetPolicy {

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*");
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  // No ::ffff:0:0/96 entry: Java turns IPv4-mapped IPv6 addresses into Inet4Address, so such a
  // range cannot be built; mapped addresses are unwrapped and checked against the IPv4 ranges instead.
  // 64:ff9b::/96, 2002::/16 and 2001::/32 are not listed either: they are judged by the IPv4 address
  // they carry (see embeddedIpv4).
  private static final List<Cidr> BLOCKED = List.of(
      // IPv4 (RFC 6890 special-purpose registry, and multicast and reserved space)
      Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"),
      Cidr.parse("127.0.0.0/8"), Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"),
      Cidr.parse("192.0.0.0/24"), Cidr.parse("192.0.2.0/24"), Cidr.parse("192.88.99.0/24"),
      Cidr.parse("192.168.0.0/16"), Cidr.parse("198.18.0.0/15"), Cidr.parse("198.51.100.0/24"),
      Cidr.parse("203.0.113.0/24"), Cidr.parse("224.0.0.0/4"), Cidr.parse("240.0.0.0/4"),
      // IPv6; ::/96 holds :: and ::1 and the deprecated IPv4-compatible addresses (::a.b.c.d);
      // ::ffff:0:0:0/96 the IPv4-translated addresses of stateless translation (RFC 2765), which no
      // public endpoint uses and a translator would turn into the IPv4 address inside
      Cidr.parse("::/96"), Cidr.parse("::ffff:0:0:0/96"), Cidr.parse("64:ff9b:1::/48"), Cidr.parse("100::/64"), Cidr.parse("2001:2::/48"),
      Cidr.parse("2001:10::/28"), Cidr.parse("2001:20::/28"), Cidr.parse("2001:db8::/32"),
      Cidr.parse("3fff::/20"), Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"), Cidr.parse("fec0::/10"),
      Cidr.parse("ff00::/8"));
  private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
  private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");
  private static final Cidr TEREDO = Cidr.parse("2001::/32");

  private final List<String> allowedHosts;
  private final List<Cidr> allowedRanges;

  private TargetPolicy(List<String> allowedHosts, List<Cidr> allowedRanges) {
    this.allowedHosts = List.copyOf(allowedHosts);
    this.allowedRanges = List.copyOf(allowedRanges);
  }

  /**
   * @param allowedTargets comma-separated hosts and CIDR ranges (a bare IP is a /32 or /128), no ports
   * @throws IllegalArgumentException naming the first entry that is neither
   */
  public static TargetPolicy parse(String allowedTargets) {
    List<String> hosts = new ArrayList<>();
    List<Cidr> ranges = new ArrayList<>();
    if (allowedTargets != null) {
      for (String raw : allowedTargets.split(",")) {
        String entry = raw.trim().toLowerCase(Locale.ROOT);
        if (entry.isEmpty()) {
          continue;
        }
        if (entry.contains("/") || entry.contains(":") || entry.matches("[0-9.]+")) {
          ranges.add(Cidr.parse(entry));
        } else if (HOST.matcher(entry).matches()) {
          hosts.add(entry);
        } else {
          throw new IllegalArgumentException("'" + raw.trim() + "' is neither a host nor a CIDR range (no ports)");
        }
      }
    }
    return new TargetPolicy(hosts, ranges);
  }

  /**
   * Checks a URL at save time: absolute {@code http(s)} URL with a host, no credentials, {@code https}
   * unless the host is allowed, an IPv4 address only in its canonical dotted-quad form, and no
   * literal non-public address (nor one carrying a non-public IPv4 address) unless allowed.
   *
   * @return the parsed URI
   * @throws IllegalArgumentException saying what is wrong with the URL
   */
  public URI checkUrl(String url) {
    URI uri;
    try {
      uri = new URI(url == null ? "" : url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("url '" + url + "' is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("url '" + url + "' must be an absolute http(s) URL");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(noHostReason(url, uri.getRawAuthority()));
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw new IllegalArgumentException("url '" + url + "' has port " + uri.getPort() + ", outside 1..65535");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("url '" + url + "' must not carry credentials");
    }
    boolean allowed = isAllowedHost(host);
    if (!allowed && scheme.equals("http")) {
      throw new IllegalArgumentException("url '" + url + "' must use https (plain http only for WEBHOOKS_ALLOWED_TARGETS)");
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    // a trailing dot names the same host (fully qualified), so it is checked without it
    String name = bare.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (!allowed && (name.equals("localhost") || name.endsWith(".localhost"))) {
      throw new IllegalArgumentException("url '" + url + "' targets localhost, which is not allowed");
    }
    if (!name.contains(":") && readsAsIpv4(name) && !IPV4.matcher(name).matches()) {
      throw new IllegalArgumentException(nonCanonicalIpv4(url, bare));
    }
    if (!allowed && looksLikeIp(name)) {
      InetAddress address;
      try {
        address = InetAddress.getByName(name);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("url '" + url + "' has an invalid address " + bare);
      }
      Optional<String> refusal = refusal(address, bare);
      if (refusal.isPresent()) {
        throw new IllegalArgumentException("url '" + url + "' targets " + refusal.get());
      }
    }
    return uri;
  }

  /**
   * Checks one resolved address at send time.
   *
   * @param host the URL's host as written
   * @param address one address it resolved to
   * @return true when a request may be sent there: the host is listed, or the address (and every
   *     IPv4 address it carries) is public or in a listed range
   */
  public boolean permits(String host, InetAddress address) {
    return isAllowedHost(host) || refusal(address, address.getHostAddress()).isEmpty();
  }

  /**
   * @param written the address as the message should show it
   * @return why {@code address} may not be targeted, or empty when it may (public, or in a listed
   *     range, and so is every IPv4 address it carries)
   */
  private Optional<String> refusal(InetAddress address, String written) {
    InetAddress a = unmapped(address);
    if (inAllowedRange(a)) {
      return Optional.empty();
    }
    if (isBlocked(a)) {
      return Optional.of("the non-public address " + written);
    }
    for (Embedded e : embeddedIpv4(a)) {
      if (!inAllowedRange(e.address()) && isBlocked(e.address())) {
        return Optional.of(written + ", a " + e.kind() + " address carrying the non-public IPv4 address "
            + e.address().getHostAddress());
      }
    }
    return Optional.empty();
  }

  /** An IPv4 address carried inside an IPv6 address, and the mechanism that carries it. */
  private record Embedded(String kind, InetAddress address) {}

  /**
   * @return the IPv4 addresses a NAT64 (RFC 6052), 6to4 (RFC 3056) or Teredo (RFC 4380) address
   *     reaches; none for any other address
   */
  private static List<Embedded> embeddedIpv4(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != 16) {
      return List.of();
    }
    if (NAT64.contains(address)) {
      return List.of(new Embedded("NAT64", ipv4(a[12], a[13], a[14], a[15])));
    }
    if (SIX_TO_FOUR.contains(address)) {
      return List.of(new Embedded("6to4", ipv4(a[2], a[3], a[4], a[5])));
    }
    if (TEREDO.contains(address)) {
      // the client's address is stored with every bit inverted, so that NATs do not rewrite it
      return List.of(new Embedded("Teredo", ipv4(a[4], a[5], a[6], a[7])),
          new Embedded("Teredo", ipv4((byte) ~a[12], (byte) ~a[13], (byte) ~a[14], (byte) ~a[15])));
    }
    return List.of();
  }

  private static InetAddress ipv4(byte b0, byte b1, byte b2, byte b3) {
    try {
      return InetAddress.getByAddress(new byte[] {b0, b1, b2, b3});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are always an IPv4 address", e);
    }
  }

  /** @return true when the host is listed, or is a literal address in a listed range. */
  public boolean isAllowedHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      h = h.substring(1, h.length() - 1);
    }
    if (allowedHosts.contains(h)) {
      return true;
    }
    if (looksLikeIp(h)) {
      try {
        return inAllowedRange(InetAddress.getByName(h));
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  private boolean inAllowedRange(InetAddress address) {
    InetAddress a = unmapped(address);
    return allowedRanges.stream().anyMatch(r -> r.contains(a));
  }

  private static boolean isBlocked(InetAddress address) {
    InetAddress a = unmapped(address);
    return BLOCKED.stream().anyMatch(r -> r.contains(a));
  }

  /**
   * @return the IPv4 address inside an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, RFC 4291
   *     section 2.5.5.2), which reaches the same host; any other address unchanged
   */
  private static InetAddress unmapped(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != 16) {
      return address;
    }
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return address;
      }
    }
    if (a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
      return address;
    }
    return ipv4(a[12], a[13], a[14], a[15]);
  }

  /**
   * WHATWG URL "host parsing": a host whose last label is a number is an IPv4 address, which
   * resolvers also read in hex, octal or fewer parts (0x7f000001, 0177.0.0.1, 127.1 are all
   * 127.0.0.1); only the canonical form is accepted, so that the address checks see what is sent to.
   *
   * @param name a host name, lower case, without a trailing dot
   */
  private static boolean readsAsIpv4(String name) {
    String lastLabel = name.substring(name.lastIndexOf('.') + 1);
    return lastLabel.matches("[0-9]+|0x[0-9a-f]*");
  }

  private static String nonCanonicalIpv4(String url, String host) {
    return "url '" + url + "' has host " + host + ", which reads as an IPv4 address but is not written as four "
        + "decimal numbers 0-255 without leading zeros (a non-canonical IPv4 address)";
  }

  /**
   * {@link URI} leaves the host undefined when the authority is not a valid server name, such as
   * {@code 127.1} or {@code 0x7f.0.0.1} (a top label must start with a letter); say which.
   *
   * @param rawAuthority the URI's authority, or null when it has none
   */
  private static String noHostReason(String url, String rawAuthority) {
    String host = rawAuthority == null ? "" : rawAuthority.substring(rawAuthority.lastIndexOf('@') + 1);
    int colon = host.lastIndexOf(':');
    if (!host.startsWith("[") && colon >= 0 && host.substring(colon + 1).matches("[0-9]*")) {
      host = host.substring(0, colon);
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.isEmpty()) {
      return "url '" + url + "' has no host";
    }
    if (readsAsIpv4(name)) {
      return nonCanonicalIpv4(url, host);
    }
    return "url '" + url + "' has host " + host + ", which is not a valid host name";
  }

  /**
   * @param host a URL's host without brackets, as {@link #checkUrl} passed it
   * @return the address a literal host names (canonical dotted-quad IPv4, or IPv6), parsed without
   *     asking DNS; empty for a host name, which must be resolved
   */
  public static Optional<InetAddress> literalAddress(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (!isIpLiteral(h)) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(h));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /**
   * @return true for a literal address: dotted-quad IPv4, or IPv6 (hex digits, colons, dots). Kept
   *     strict so that {@link InetAddress#getByName} only ever parses it and never asks DNS.
   */
  private static boolean isIpLiteral(String text) {
    return IPV4.matcher(text).matches() || IPV6.matcher(text).matches();
  }

  private static boolean looksLikeIp(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  /** A CIDR range of IPv4 or IPv6 addresses. */
  private record Cidr(BigInteger network, int prefix, int bits) {

    static Cidr parse(String text) {
      String[] parts = text.split("/", 2);
      if (!isIpLiteral(parts[0])) {
        throw new IllegalArgumentException("'" + text + "' is neither a host nor a CIDR range (no ports)");
      }
      byte[] addr;
      try {
        addr = InetAddress.getByName(parts[0]).getAddress();
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("'" + text + "' is not a CIDR range");
      }
      int bits = addr.length * 8;
      int prefix;
      try {
        prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : bits;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' has a bad prefix length");
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + bits);
      }
      return new Cidr(new BigInteger(1, addr).shiftRight(bits - prefix), prefix, bits);
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length * 8 != bits) {
        return false;
      }
      return new BigInteger(1, a).shiftRight(bits - prefix).equals(network);
    }
  }
}
