package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SSRF rules: https to public addresses only, unless {@code WEBHOOKS_ALLOWED_TARGETS} exempts the
 * host or range; an IPv6 address that carries an IPv4 address is judged by that one too. Each rule is
 * checked at save ({@code checkUrl}) and at send ({@code permits} on a resolved address). Only literal
 * addresses are used, so no test depends on DNS.
 */
class TargetPolicyTest {

  private static final TargetPolicy STRICT = TargetPolicy.parse("");

  @Test
  void https_to_a_public_host_is_accepted() {
    URI uri = STRICT.checkUrl("https://hooks.example.com/webhooks/calls?x=1");

    assertThat(uri.getHost()).isEqualTo("hooks.example.com");
    assertThat(STRICT.checkUrl("https://93.184.216.34:8443/h").getPort()).isEqualTo(8443);
    assertThat(STRICT.checkUrl("https://[2606:4700::1111]/h").getHost()).isEqualTo("[2606:4700::1111]");
  }

  @Test
  void plain_http_is_refused_unless_allowed() {
    assertThatThrownBy(() -> STRICT.checkUrl("http://hooks.example.com/h"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https")
        .hasMessageContaining("http://hooks.example.com/h");

    assertThat(TargetPolicy.parse("hooks.example.com").checkUrl("http://hooks.example.com/h").getScheme())
        .isEqualTo("http");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "https://127.0.0.1/h", "https://127.8.9.10/h", "https://10.0.0.1/h", "https://10.255.255.255/h",
      "https://172.16.0.1/h", "https://172.31.255.254/h", "https://192.168.1.10/h", "https://169.254.169.254/latest",
      "https://100.64.0.1/h", "https://100.127.255.254/h", "https://0.0.0.0/h", "https://224.0.0.1/h",
      "https://[::1]/h", "https://[::]/h", "https://[fc00::1]/h", "https://[fdff:ffff::1]/h", "https://[fe80::1]/h",
      "https://[febf::1]/h", "https://[ff02::1]/h", "https://[::ffff:127.0.0.1]/h", "https://[::ffff:10.0.0.1]/h",
      "https://localhost/h", "https://LocalHost:8443/h", "https://api.localhost/h", "https://127.1/h",
      "https://2130706433/h", "https://0x7f000001/h", "https://0177.0.0.1/h", "https://0x7f.0.0.1/h",
      "https://localhost./h", "https://LOCALHOST./h", "https://api.localhost./h", "https://127.0.0.1./h",
      "https://010.0.0.1/h", "https://hooks.example.com.10/h"})
  void non_public_targets_are_refused(String url) {
    assertThatThrownBy(() -> STRICT.checkUrl(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(url);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "https://11.0.0.1/h", "https://172.15.255.255/h", "https://172.32.0.1/h", "https://192.169.0.1/h",
      "https://100.63.255.255/h", "https://100.128.0.1/h", "https://169.255.0.1/h", "https://[fbff::1]/h",
      "https://[2001:4860:4860::8888]/h", "https://hooks.example.com./h",
      "https://0x7f.example.com/h"})
  void addresses_just_outside_the_blocked_ranges_are_accepted(String url) {
    assertThat(STRICT.checkUrl(url)).isNotNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // NAT64 (64:ff9b::/96): the last 32 bits
      "https://[64:ff9b::a9fe:a9fe]/  | NAT64 address carrying the non-public IPv4 address 169.254.169.254",
      "https://[64:ff9b::127.0.0.1]/h | NAT64 address carrying the non-public IPv4 address 127.0.0.1",
      "https://[64:ff9b::c0a8:101]/h  | NAT64 address carrying the non-public IPv4 address 192.168.1.1",
      // 6to4 (2002::/16): bits 16-47
      "https://[2002:7f00:1::]/h      | 6to4 address carrying the non-public IPv4 address 127.0.0.1",
      "https://[2002:a9fe:a9fe::1]/h  | 6to4 address carrying the non-public IPv4 address 169.254.169.254",
      // Teredo (2001::/32): the server in bits 32-63, the client inverted in the last 32 bits
      "https://[2001:0:a00:1::5db8:d822]/h     | Teredo address carrying the non-public IPv4 address 10.0.0.1",
      "https://[2001:0:5db8:d822:0:0:80ff:fffe]/h | Teredo address carrying the non-public IPv4 address 127.0.0.1",
      // IPv4-compatible (::/96, deprecated)
      "https://[::127.0.0.1]/h        | the non-public address ::127.0.0.1",
      "https://[::a9fe:a9fe]/h        | the non-public address ::a9fe:a9fe",
      "https://[::5db8:d822]/h        | the non-public address ::5db8:d822",
      // IPv4 special-purpose ranges
      "https://198.18.0.1/h           | the non-public address 198.18.0.1",
      "https://198.19.255.254/h       | the non-public address 198.19.255.254",
      "https://192.0.2.10/h           | the non-public address 192.0.2.10",
      "https://198.51.100.10/h        | the non-public address 198.51.100.10",
      "https://203.0.113.10/h         | the non-public address 203.0.113.10",
      "https://192.0.0.170/h          | the non-public address 192.0.0.170",
      "https://192.88.99.1/h          | the non-public address 192.88.99.1",
      "https://255.255.255.255/h      | the non-public address 255.255.255.255",
      // IPv6 special-purpose ranges
      "https://[100::1]/h             | the non-public address 100::1",
      "https://[2001:db8::1]/h        | the non-public address 2001:db8::1",
      "https://[2001:2::1]/h          | the non-public address 2001:2::1",
      "https://[2001:10::1]/h         | the non-public address 2001:10::1",
      "https://[3fff::1]/h            | the non-public address 3fff::1",
      "https://[64:ff9b:1::a00:1]/h   | the non-public address 64:ff9b:1::a00:1",
      "https://[fec0::1]/h            | the non-public address fec0::1",
      "https://[::ffff:198.18.0.1]/h  | the non-public address ::ffff:198.18.0.1"})
  void special_purpose_and_embedded_non_public_addresses_are_refused_at_save(String url, String reason) {
    assertThatThrownBy(() -> STRICT.checkUrl(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("url '" + url + "' targets ")
        .hasMessageEndingWith(reason);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::", "2002:a00:1:1::1",
      "2002:a9fe:a9fe::1", "2001:0:a00:1::5db8:d822", "2001:0:5db8:d822:0:0:80ff:fffe", "::127.0.0.1",
      "::a9fe:a9fe", "::5db8:d822", "198.18.0.1", "198.19.255.254", "192.0.2.10", "198.51.100.10",
      "203.0.113.10", "192.0.0.170", "192.88.99.1", "100::1", "2001:db8::1", "2001:2::1", "2001:10::1",
      "3fff::1", "64:ff9b:1::a00:1", "fec0::1", "::ffff:198.18.0.1", "::ffff:203.0.113.1"})
  void the_same_addresses_are_refused_at_send_when_a_public_name_resolves_to_them(String resolved) {
    assertThat(STRICT.permits("hooks.example.com", ip(resolved))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // translation addresses of the public 93.184.216.34 (and, for Teredo, a public client 8.8.8.8)
      "64:ff9b::5db8:d822", "64:ff9b::93.184.216.34", "2002:5db8:d822::1", "2001:0:5db8:d822::f7f7:f7f7",
      // just outside the ranges
      "198.17.255.255", "198.20.0.1", "192.0.1.255", "192.0.3.1", "198.51.99.255", "203.0.114.1",
      "192.88.98.255", "100:0:0:1::1", "2001:db9::1", "2001:3::1", "2003::1"})
  void translation_addresses_of_public_ipv4_and_addresses_just_outside_the_ranges_are_permitted(String text) {
    assertThat(STRICT.permits("hooks.example.com", ip(text))).as(text).isTrue();
    String host = text.contains(":") ? "[" + text + "]" : text;
    assertThat(STRICT.checkUrl("https://" + host + "/h").getHost()).isEqualTo(host);
  }

  @Test
  void an_allowed_range_exempts_the_addresses_that_carry_it_too() {
    TargetPolicy metadata = TargetPolicy.parse("169.254.169.254");
    assertThat(metadata.permits("x.test", ip("64:ff9b::a9fe:a9fe"))).isTrue();
    assertThat(metadata.permits("x.test", ip("2002:a9fe:a9fe::1"))).isTrue();
    assertThat(metadata.checkUrl("https://[64:ff9b::a9fe:a9fe]/h")).isNotNull();
    assertThat(metadata.permits("x.test", ip("64:ff9b::a9fe:a9ff"))).isFalse();

    TargetPolicy nat64 = TargetPolicy.parse("64:ff9b::/96");
    assertThat(nat64.permits("x.test", ip("64:ff9b::7f00:1"))).isTrue();
    assertThat(nat64.permits("x.test", ip("2002:7f00:1::"))).isFalse();

    TargetPolicy lab = TargetPolicy.parse("198.18.0.0/15, 2001:db8::/32");
    assertThat(lab.checkUrl("http://198.18.4.5:8080/h")).isNotNull();
    assertThat(lab.checkUrl("http://[2001:db8::5]/h")).isNotNull();
    assertThat(lab.permits("x.test", ip("198.19.0.1"))).isTrue();
    assertThat(lab.permits("x.test", ip("192.0.2.1"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://127.1/", "https://0x7f.0.0.1/", "https://127.1:8443/h", "https://2130706433/h",
      "https://0x7f000001/h", "https://0177.0.0.1/h", "https://hooks.example.com.10/h", "https://127.0.1/h",
      "https://0x7F.1/h", "https://127.1./h", "https://010.0.0.1/h", "https://1.2.3.4.5/h"})
  void a_host_that_reads_as_a_non_canonical_ipv4_address_is_refused_as_such(String url) {
    assertThatThrownBy(() -> STRICT.checkUrl(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("url '" + url + "' has host ")
        .hasMessageContaining("a non-canonical IPv4 address")
        .hasMessageNotContaining("has no host");
    // listing the host changes nothing: its form is refused, whatever it names
    assertThatThrownBy(() -> TargetPolicy.parse("127.0.0.0/8").checkUrl(url))
        .hasMessageContaining("a non-canonical IPv4 address");
  }

  @Test
  void a_host_that_is_no_valid_name_is_named() {
    assertThatThrownBy(() -> STRICT.checkUrl("https://exa_mple.com/h"))
        .hasMessage("url 'https://exa_mple.com/h' has host exa_mple.com, which is not a valid host name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://hooks.example.com/h", "hooks.example.com/h", "https:///h", "not a url",
      "https://user:pw@hooks.example.com/h", ""})
  void malformed_urls_are_refused_naming_the_url(String url) {
    assertThatThrownBy(() -> STRICT.checkUrl(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("url '" + url + "'");
  }

  @Test
  void an_allowed_host_is_exempt_from_both_rules() {
    TargetPolicy policy = TargetPolicy.parse("localhost, receiver.test");

    assertThat(policy.checkUrl("http://localhost:8080/hook").getPort()).isEqualTo(8080);
    assertThat(policy.checkUrl("http://receiver.test/hook")).isNotNull();
    assertThat(policy.permits("receiver.test", ip("127.0.0.1"))).isTrue();
    assertThat(policy.permits("RECEIVER.test", ip("10.1.2.3"))).isTrue();
    assertThat(policy.permits("other.test", ip("127.0.0.1"))).isFalse();
    assertThatThrownBy(() -> policy.checkUrl("http://other.test/hook")).hasMessageContaining("https");
  }

  @Test
  void an_allowed_cidr_range_is_exempt_from_both_rules() {
    TargetPolicy policy = TargetPolicy.parse(" 127.0.0.0/8 , 10.20.0.0/16,,::1 ");

    assertThat(policy.checkUrl("http://127.0.0.1:9000/h")).isNotNull();
    assertThat(policy.checkUrl("http://127.99.0.1/h")).isNotNull();
    assertThat(policy.checkUrl("https://10.20.30.40/h")).isNotNull();
    assertThat(policy.checkUrl("http://[::1]:9000/h")).isNotNull();
    assertThatThrownBy(() -> policy.checkUrl("https://10.21.0.1/h")).hasMessageContaining("non-public");
    assertThatThrownBy(() -> policy.checkUrl("http://10.21.0.1/h")).hasMessageContaining("https");
    assertThatThrownBy(() -> policy.checkUrl("https://[fc00::1]/h")).hasMessageContaining("non-public");

    assertThat(policy.permits("receiver.test", ip("127.0.0.5"))).isTrue();
    assertThat(policy.permits("receiver.test", ip("10.20.255.1"))).isTrue();
    assertThat(policy.permits("receiver.test", ip("10.21.0.1"))).isFalse();
    assertThat(policy.isAllowedHost("127.0.0.1")).isTrue();
    assertThat(policy.isAllowedHost("[::1]")).isTrue();
    assertThat(policy.isAllowedHost("receiver.test")).isFalse();
  }

  @Test
  void a_bare_address_is_a_single_host_range() {
    TargetPolicy policy = TargetPolicy.parse("192.168.5.5");

    assertThat(policy.permits("x.test", ip("192.168.5.5"))).isTrue();
    assertThat(policy.permits("x.test", ip("192.168.5.6"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"host:8080", "10.0.0.0/33", "::1/129", "10.0.0.0/x", "10.0.0.0/-1", "exa mple.com",
      "http://receiver.test", "receiver.test:8080", "999.1.1.1", "[::1]", "_bad.host"})
  void malformed_allowed_entries_are_rejected_naming_the_entry(String entry) {
    assertThatThrownBy(() -> TargetPolicy.parse("receiver.test," + entry))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + entry + "'");
  }

  @Test
  void permits_checks_every_resolved_address_at_send_time() throws Exception {
    // A public name that resolves to a private address (DNS rebinding) is refused at send time.
    assertThat(STRICT.permits("hooks.example.com", ip("93.184.216.34"))).isTrue();
    assertThat(STRICT.permits("hooks.example.com", ip("2606:4700::1111"))).isTrue();
    for (String blocked : new String[] {"127.0.0.1", "10.0.0.7", "172.16.0.1", "172.31.0.1", "192.168.0.1",
        "169.254.169.254", "100.64.0.1", "100.127.0.1", "0.0.0.0", "::1", "::", "fc00::1", "fd00::1",
        "fe80::1", "::ffff:127.0.0.1", "::ffff:192.168.0.1"}) {
      assertThat(STRICT.permits("hooks.example.com", ip(blocked))).as(blocked).isFalse();
    }
  }

  @Test
  void an_ipv4_mapped_ipv6_address_kept_as_16_bytes_is_judged_by_its_ipv4_address() throws Exception {
    byte[] mappedLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
    byte[] mappedPublic = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 93, (byte) 184, (byte) 216, 34};
    InetAddress loopback = Inet6Address.getByAddress(null, mappedLoopback, -1);
    InetAddress publicAddress = Inet6Address.getByAddress(null, mappedPublic, -1);

    assertThat(loopback.getAddress()).hasSize(16);
    assertThat(STRICT.permits("hooks.example.com", loopback)).isFalse();
    assertThat(STRICT.permits("hooks.example.com", publicAddress)).isTrue();
    assertThat(TargetPolicy.parse("127.0.0.0/8").permits("hooks.example.com", loopback)).isTrue();
  }

  /**
   * Every class of address the rules refuse, each at save (a URL with the literal) and at send (a
   * public name resolving to it), the cloud metadata endpoints and their IPv6 disguises included.
   */
  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', value = {
      "loopback                       | 127.0.0.1",
      "loopback                       | 127.255.255.254",
      "loopback                       | ::1",
      "private                        | 10.1.2.3",
      "private                        | 172.20.0.1",
      "private                        | 192.168.0.1",
      "link-local                     | 169.254.0.1",
      "link-local                     | fe80::1",
      "metadata (AWS, GCP, Azure)     | 169.254.169.254",
      "metadata (AWS over IPv6)       | fd00:ec2::254",
      "metadata (Alibaba, in CGNAT)   | 100.100.100.200",
      "metadata, IPv4-mapped          | ::ffff:169.254.169.254",
      "metadata, IPv4-mapped in hex   | ::ffff:a9fe:a9fe",
      "metadata, IPv4-translated      | ::ffff:0:a9fe:a9fe",
      "metadata, IPv4-compatible      | ::169.254.169.254",
      "metadata, NAT64                | 64:ff9b::a9fe:a9fe",
      "metadata, local-use NAT64      | 64:ff9b:1::a9fe:a9fe",
      "metadata, 6to4                 | 2002:a9fe:a9fe::1",
      "metadata, Teredo server        | 2001:0:a9fe:a9fe::1",
      "CGNAT                          | 100.64.0.1",
      "unspecified                    | 0.0.0.0",
      "unspecified                    | ::",
      "this network                   | 0.1.2.3",
      "multicast                      | 224.0.0.251",
      "multicast                      | ff02::fb",
      "broadcast                      | 255.255.255.255",
      "reserved                       | 240.0.0.1",
      "unique-local                   | fd12:3456::1",
      "site-local                     | fec0::1",
      "loopback, IPv4-mapped          | ::ffff:127.0.0.1",
      "loopback, IPv4-translated      | ::ffff:0:7f00:1",
      "loopback, NAT64                | 64:ff9b::7f00:1",
      "loopback, 6to4                 | 2002:7f00:1::1",
      "private, NAT64                 | 64:ff9b::10.0.0.1",
      "private, 6to4                  | 2002:c0a8:101::1",
      "private, Teredo client         | 2001:0:5db8:d822::f5ff:fffe",
      "documentation                  | 192.0.2.1",
      "documentation                  | 2001:db8::1",
      "benchmarking                   | 198.18.0.1"})
  void everyRefusedAddressClassIsRefusedAtSaveAndAtSend(String addressClass, String literal) {
    String host = literal.contains(":") ? "[" + literal + "]" : literal;
    String url = "https://" + host + "/hook";
    assertThatThrownBy(() -> STRICT.checkUrl(url)).as(addressClass)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("url '" + url + "' targets ");
    assertThat(STRICT.permits("hooks.example.com", ip(literal))).as(addressClass).isFalse();
  }

  @Test
  void userInfoInTheUrlIsRefusedWhateverItHolds() {
    for (String url : List.of("https://user@hooks.example.com/h", "https://user:pw@hooks.example.com/h",
        "https://hooks.example.com@169.254.169.254/h", "https://:@hooks.example.com/h")) {
      assertThatThrownBy(() -> STRICT.checkUrl(url)).as(url)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("url '" + url + "'");
    }
    assertThatThrownBy(() -> TargetPolicy.parse("hooks.example.com").checkUrl("http://u:p@hooks.example.com/h"))
        .hasMessageContaining("must not carry credentials");
  }

  private static InetAddress ip(String literal) {
    // Only literals are passed here, so getByName parses and never resolves.
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new UncheckedIOException(e);
    }
  }
}
