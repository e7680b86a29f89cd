package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SSRF rules: https to public addresses only, unless {@code WEBHOOKS_ALLOWED_TARGETS} exempts the
 * host or range. Only literal addresses are used, so no test depends on DNS.
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

  private static InetAddress ip(String literal) {
    // Only literals are passed here, so getByName parses and never resolves.
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new UncheckedIOException(e);
    }
  }
}
