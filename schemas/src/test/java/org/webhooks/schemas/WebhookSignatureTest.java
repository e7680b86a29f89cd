package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Standard Webhooks signing: the published vector, rotation with two secrets, tampering, bad secrets. */
class WebhookSignatureTest {

  // The test vector of the Standard Webhooks reference libraries (their "sign" test in every
  // language): a receiver using any of those libraries accepts what reproduces it.
  private static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long VECTOR_TIMESTAMP = 1614265330L;
  private static final byte[] VECTOR_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  private static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  private static final String ID = "evt_abc123";
  private static final long TS = 1736955932L;
  private static final byte[] BODY = "{\"event_id\":\"evt_abc123\",\"data\":{\"n\":247}}".getBytes(StandardCharsets.UTF_8);

  @Test
  void signing_reproduces_the_standard_webhooks_test_vector() {
    assertThat(WebhookSignature.sign(List.of(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY))
        .isEqualTo(VECTOR_SIGNATURE);
    assertThat(WebhookSignature.verify(VECTOR_SECRET, VECTOR_ID, Long.toString(VECTOR_TIMESTAMP), VECTOR_BODY,
        VECTOR_SIGNATURE)).isTrue();
  }

  @Test
  void signature_is_hmac_sha256_of_id_dot_timestamp_dot_body_under_the_decoded_key() throws Exception {
    String secret = WebhookSecret.generate();
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    byte[] expected = mac.doFinal((ID + "." + TS + "." + new String(BODY, StandardCharsets.UTF_8))
        .getBytes(StandardCharsets.UTF_8));

    assertThat(WebhookSignature.sign(List.of(secret), ID, TS, BODY))
        .isEqualTo("v1," + Base64.getEncoder().encodeToString(expected));
  }

  @Test
  void two_secrets_give_two_space_separated_signatures_each_verifying() {
    String oldSecret = WebhookSecret.generate();
    String newSecret = WebhookSecret.generate();

    String header = WebhookSignature.sign(List.of(oldSecret, newSecret), ID, TS, BODY);

    String[] parts = header.split(" ");
    assertThat(parts).hasSize(2);
    assertThat(parts).allSatisfy(p -> assertThat(p).matches("v1,[A-Za-z0-9+/]{43}="));
    assertThat(parts[0]).isEqualTo(WebhookSignature.sign(List.of(oldSecret), ID, TS, BODY));
    assertThat(parts[1]).isEqualTo(WebhookSignature.sign(List.of(newSecret), ID, TS, BODY));
    assertThat(WebhookSignature.verify(oldSecret, ID, Long.toString(TS), BODY, header)).isTrue();
    assertThat(WebhookSignature.verify(newSecret, ID, Long.toString(TS), BODY, header)).isTrue();
    assertThat(WebhookSignature.verify(WebhookSecret.generate(), ID, Long.toString(TS), BODY, header)).isFalse();
  }

  @Test
  void tampered_body_wrong_secret_wrong_timestamp_or_wrong_id_fail() {
    String secret = WebhookSecret.generate();
    String header = WebhookSignature.sign(List.of(secret), ID, TS, BODY);
    byte[] tampered = BODY.clone();
    tampered[tampered.length - 3] = '8';

    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), BODY, header)).isTrue();
    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), tampered, header)).isFalse();
    assertThat(WebhookSignature.verify(WebhookSecret.generate(), ID, Long.toString(TS), BODY, header)).isFalse();
    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS + 1), BODY, header)).isFalse();
    assertThat(WebhookSignature.verify(secret, "evt_other", Long.toString(TS), BODY, header)).isFalse();
  }

  @Test
  void only_v1_signatures_count_and_malformed_ones_are_skipped() {
    String secret = WebhookSecret.generate();
    String valid = WebhookSignature.sign(List.of(secret), ID, TS, BODY);
    String digest = valid.substring(3);

    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), BODY, "v2," + digest)).isFalse();
    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), BODY, digest)).isFalse();
    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), BODY, "v1,not*base64 v1,bm9wZQ== " + valid))
        .isTrue();
    assertThat(WebhookSignature.verify(secret, ID, "not-a-number", BODY, valid)).isFalse();
    assertThat(WebhookSignature.verify(secret, ID, Long.toString(TS), BODY, null)).isFalse();
  }

  @Test
  void generated_secrets_are_whsec_plus_32_random_bytes() {
    String a = WebhookSecret.generate();
    String b = WebhookSecret.generate();

    assertThat(a).startsWith("whsec_").isNotEqualTo(b);
    assertThat(WebhookSecret.key(a)).hasSize(32);
  }

  @Test
  void keys_of_24_and_64_bytes_are_accepted() {
    assertThat(WebhookSecret.key(secretOf(24))).hasSize(24);
    assertThat(WebhookSecret.key(secretOf(64))).hasSize(64);
    assertThat(WebhookSecret.key(VECTOR_SECRET)).hasSize(24);
  }

  @Test
  void malformed_secrets_are_rejected_saying_what_is_wrong() {
    assertThatThrownBy(() -> WebhookSecret.key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whsec_");
    assertThatThrownBy(() -> WebhookSecret.key(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whsec_");
    assertThatThrownBy(() -> WebhookSecret.key("whsec_not base64 at all!"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base64");
    assertThatThrownBy(() -> WebhookSecret.key(secretOf(23)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("23");
    assertThatThrownBy(() -> WebhookSecret.key(secretOf(65)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65");
    assertThatThrownBy(() -> WebhookSecret.key("whsec_"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"no-prefix", "whsec_%%%", "whsec_AAAA"})
  void signing_with_a_malformed_secret_is_refused(String secret) {
    assertThatThrownBy(() -> WebhookSignature.sign(List.of(WebhookSecret.generate(), secret), ID, TS, BODY))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String secretOf(int bytes) {
    byte[] key = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      key[i] = (byte) (i * 7 + 1);
    }
    return "whsec_" + Base64.getEncoder().encodeToString(key);
  }

  @Test
  void a_signer_that_keeps_its_keys_signs_every_message_as_a_fresh_signature_would() {
    WebhookSignature.Signer signer = new WebhookSignature.Signer();
    String other = WebhookSecret.generate();

    // the vector, twice with the same kept key (the Mac is reset between messages), then beside another key
    assertThat(signer.sign(List.of(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)).isEqualTo(VECTOR_SIGNATURE);
    assertThat(signer.sign(List.of(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)).isEqualTo(VECTOR_SIGNATURE);
    assertThat(signer.sign(List.of(VECTOR_SECRET, other), ID, TS, BODY))
        .isEqualTo(WebhookSignature.sign(List.of(VECTOR_SECRET, other), ID, TS, BODY));
    assertThat(signer.sign(List.of(other), ID, TS + 1, BODY)).isEqualTo(WebhookSignature.sign(List.of(other), ID, TS + 1, BODY));
    assertThatThrownBy(() -> signer.sign(List.of("whsec_short"), ID, TS, BODY))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
