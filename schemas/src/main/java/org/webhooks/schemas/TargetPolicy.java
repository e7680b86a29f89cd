package org.webhooks.schemas;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which URLs a subscription may target. Endpoints must be {@code https} and must not resolve to
 * loopback, private, link-local, CGNAT, unique-local, multicast or unspecified addresses, so that a
 * customer cannot make the platform call its own network (SSRF). Hosts and CIDR ranges listed in
 * {@code WEBHOOKS_ALLOWED_TARGETS} are exempt from both rules. Checked at save (URL and literal
 * addresses) and again at send (every resolved address).
 */
public final class TargetPolicy {

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]*:[0-9a-f:.]*");
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
  // No ::ffff:0:0/96 entry: Java turns IPv4-mapped IPv6 addresses into Inet4Address, so such a
  // range cannot be built; mapped addresses are unwrapped and checked against the IPv4 ranges instead.
  private static final List<Cidr> BLOCKED = List.of(
      Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"),
      Cidr.parse("127.0.0.0/8"), Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"),
      Cidr.parse("192.168.0.0/16"), Cidr.parse("224.0.0.0/4"), Cidr.parse("240.0.0.0/4"),
      Cidr.parse("::/128"), Cidr.parse("::1/128"), Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"),
      Cidr.parse("ff00::/8"));

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
   * unless the host is allowed, and no literal blocked address unless allowed.
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
      throw new IllegalArgumentException("url '" + url + "' has no host");
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
    // WHATWG URL "host parsing": a host whose last label is a number is an IPv4 address, which
    // resolvers also read in hex, octal or fewer parts (0x7f000001, 0177.0.0.1, 127.1 are all
    // 127.0.0.1); only the canonical form is accepted, so that the check below sees what is sent to
    String lastLabel = name.substring(name.lastIndexOf('.') + 1);
    if (!name.contains(":") && lastLabel.matches("[0-9]+|0x[0-9a-f]*") && !IPV4.matcher(name).matches()) {
      throw new IllegalArgumentException("url '" + url + "' has host " + bare + ", which reads as an IPv4 address "
          + "but is not written as four decimal numbers 0-255 without leading zeros");
    }
    if (!allowed && looksLikeIp(name)) {
      try {
        InetAddress address = InetAddress.getByName(name);
        if (isBlocked(address)) {
          throw new IllegalArgumentException("url '" + url + "' targets the non-public address " + bare);
        }
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("url '" + url + "' has an invalid address " + bare);
      }
    }
    return uri;
  }

  /**
   * Checks one resolved address at send time.
   *
   * @param host the URL's host as written
   * @param address one address it resolved to
   * @return true when a request may be sent there
   */
  public boolean permits(String host, InetAddress address) {
    return isAllowedHost(host) || inAllowedRange(address) || !isBlocked(address);
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
    try {
      return InetAddress.getByAddress(new byte[] {a[12], a[13], a[14], a[15]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are always an IPv4 address", e);
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
