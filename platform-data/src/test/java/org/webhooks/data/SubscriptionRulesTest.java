package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.webhooks.data.SubscriptionRules.InvalidSubscriptionException;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/** What makes a subscription valid; every refusal starts with the field it is about. */
class SubscriptionRulesTest {

  private static final Instant NOW = Instant.parse("2025-01-15T15:45:32Z");
  private static final TargetPolicy STRICT = TargetPolicy.parse("");
  private static final String URL = "https://hooks.example.com/calls";

  @Test
  void a_valid_subscription_is_built_enabled_with_a_generated_secret() {
    Subscription sub = SubscriptionRules.newSubscription(" acct_1 ", URL,
        List.of("call.completed", "call.failed", "call.completed", " call.failed "), null, null, STRICT, NOW);

    assertThat(sub.getId()).matches("sub_[0-9a-f]{20}");
    assertThat(sub.getAccountId()).isEqualTo("acct_1");
    assertThat(sub.getUrl()).isEqualTo(URL);
    assertThat(sub.getEventTypes()).containsExactly("call.completed", "call.failed");
    assertThat(sub.getEnabled()).isTrue();
    assertThat(sub.getFilter()).isNull();
    assertThat(sub.getCreatedAt()).isEqualTo(NOW);
    assertThat(sub.getUpdatedAt()).isEqualTo(NOW);
    assertThat(sub.getSecrets()).hasSize(1);
    SigningSecret secret = sub.getSecrets().get(0);
    assertThat(secret.getCreatedAt()).isEqualTo(NOW);
    assertThat(secret.getExpiresAt()).isNull();
    assertThat(WebhookSecret.key(secret.getSecret())).hasSize(32);
    assertThat(SubscriptionRules.signingSecrets(sub, NOW)).containsExactly(secret.getSecret());
  }

  @Test
  void a_given_secret_is_kept() {
    String given = WebhookSecret.generate();

    Subscription sub = SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"),
        " " + given + " ", null, STRICT, NOW);

    assertThat(sub.getSecrets()).extracting(SigningSecret::getSecret).containsExactly(given);
  }

  @Test
  void each_subscription_gets_its_own_id_and_secret() {
    Subscription a = SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"), null, null, STRICT, NOW);
    Subscription b = SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"), null, null, STRICT, NOW);

    assertThat(a.getId()).isNotEqualTo(b.getId());
    assertThat(a.getSecrets().get(0).getSecret()).isNotEqualTo(b.getSecrets().get(0).getSecret());
  }

  @Test
  void account_is_required() {
    for (String account : Arrays.asList(null, "", "  ")) {
      assertThatThrownBy(() -> SubscriptionRules.newSubscription(account, URL, List.of("call.started"), null, null,
          STRICT, NOW))
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("account_id:");
    }
  }

  @Test
  void url_refusals_name_the_url_field() {
    for (String url : Arrays.asList("http://hooks.example.com/h", "https://10.0.0.1/h", "https://localhost/h",
        "not a url", null)) {
      assertThatThrownBy(() -> SubscriptionRules.newSubscription("acct_1", url, List.of("call.started"), null, null,
          STRICT, NOW))
          .as(String.valueOf(url))
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("url:");
    }
  }

  @Test
  void an_allowed_target_may_use_plain_http() {
    Subscription sub = SubscriptionRules.newSubscription("acct_1", "http://127.0.0.1:9000/h", List.of("call.started"),
        null, null, TargetPolicy.parse("127.0.0.0/8"), NOW);

    assertThat(sub.getUrl()).isEqualTo("http://127.0.0.1:9000/h");
  }

  @Test
  void event_types_must_be_known_and_at_least_one() {
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    for (List<String> types : Arrays.asList(null, List.<String>of(), List.of("call.started", "call.exploded"),
        List.of("CALL_STARTED"), withNull)) {
      assertThatThrownBy(() -> SubscriptionRules.newSubscription("acct_1", URL, types, null, null, STRICT, NOW))
          .as(String.valueOf(types))
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("event_types:")
          .hasMessageContaining("call.completed");
    }
    assertThatThrownBy(() -> SubscriptionRules.checkEventTypes(List.of("call.exploded")))
        .hasMessageContaining("'call.exploded'");
  }

  @Test
  void every_known_event_type_is_accepted() {
    assertThat(SubscriptionRules.checkEventTypes(EventTypes.ALL)).containsExactlyElementsOf(EventTypes.ALL);
    assertThat(EventTypes.ALL).hasSize(8);
  }

  @Test
  void a_malformed_secret_is_refused_naming_the_secret_field() {
    String short23 = "whsec_" + Base64.getEncoder().encodeToString(new byte[23]);
    for (String secret : List.of("not-a-secret", "whsec_***", short23)) {
      assertThatThrownBy(() -> SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"), secret, null,
          STRICT, NOW))
          .as(secret)
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("secret:");
    }
  }

  @Test
  void signing_secrets_during_rotation_are_those_not_yet_expired() {
    String oldSecret = WebhookSecret.generate();
    String newSecret = WebhookSecret.generate();
    Instant expiry = NOW.plusSeconds(86_400);
    Subscription sub = SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"), oldSecret, null,
        STRICT, NOW);
    sub.getSecrets().set(0, new SigningSecret(oldSecret, NOW, expiry));
    sub.getSecrets().add(new SigningSecret(newSecret, NOW.plusSeconds(60), null));

    assertThat(SubscriptionRules.signingSecrets(sub, expiry.minusMillis(1))).containsExactly(oldSecret, newSecret);
    assertThat(SubscriptionRules.signingSecrets(sub, expiry)).containsExactly(newSecret);
    assertThat(SubscriptionRules.signingSecrets(sub, expiry.plusSeconds(1))).containsExactly(newSecret);
  }

  @Test
  void a_filter_is_compiled_when_saved_and_stored_as_written() {
    Subscription sub = SubscriptionRules.newSubscription("acct_1", URL, List.of("sentiment.changed"), null,
        "data.sentiment_score < -0.5", STRICT, NOW);

    assertThat(sub.getFilter()).isEqualTo("data.sentiment_score < -0.5");
    assertThat(SubscriptionRules.checkFilter("  ")).isNull();
    assertThat(SubscriptionRules.checkFilter(null)).isNull();
  }

  @Test
  void a_filter_that_does_not_compile_is_refused_naming_the_filter_field_and_the_position() {
    assertThatThrownBy(() -> SubscriptionRules.newSubscription("acct_1", URL, List.of("call.completed"), null,
        "data.outcome == ", STRICT, NOW))
        .isInstanceOf(InvalidSubscriptionException.class)
        .hasMessageStartingWith("filter: at 1:17: ");
    assertThatThrownBy(() -> SubscriptionRules.checkFilter("outcome == 'x'"))
        .hasMessage("filter: at 1:1: undeclared reference to 'outcome' (in container '')");
  }

  @Test
  void a_url_with_user_info_is_refused_naming_the_url_field() {
    for (String url : List.of("https://user:pw@hooks.example.com/h", "https://user@hooks.example.com/h",
        "https://hooks.example.com@evil.example/h")) {
      assertThatThrownBy(() -> SubscriptionRules.newSubscription("acct_1", url, List.of("call.completed"), null,
          null, STRICT, NOW))
          .as(url)
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("url: ")
          .hasMessageContaining("must not carry credentials");
    }
  }

  private static Subscription base() {
    return SubscriptionRules.newSubscription("acct_1", URL, List.of("call.started"), null, null, STRICT, NOW);
  }

  @Test
  void a_draft_sets_every_field_and_checks_each() {
    Subscription sub = SubscriptionRules.newSubscription(new SubscriptionDraft("acct_1", URL, List.of("call.failed"),
        null, null, "CRM", false, 20, java.util.Map.of("X-Token", "t"), java.util.Map.of("team", "sales")), STRICT, NOW);

    assertThat(sub.getEnabled()).isFalse();
    assertThat(sub.getDescription()).isEqualTo("CRM");
    assertThat(sub.getRateLimitPerSecond()).isEqualTo(20);
    assertThat(sub.getHeaders()).containsEntry("X-Token", "t");
    assertThat(sub.getMetadata()).containsEntry("team", "sales");
  }

  @Test
  void signature_content_host_and_hop_by_hop_headers_cannot_be_set() {
    for (String name : List.of("webhook-id", "Webhook-Signature", "webhook-timestamp", "content-type", "Content-Length",
        "content-encoding", "host", "Connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "bad name", "")) {
      assertThatThrownBy(() -> SubscriptionRules.checkHeaders(java.util.Map.of(name, "x")))
          .as(name)
          .isInstanceOf(InvalidSubscriptionException.class)
          .hasMessageStartingWith("headers:")
          .hasMessageContaining("'" + name.trim() + "'");
    }
    java.util.Map<String, String> twice = new java.util.LinkedHashMap<>();
    twice.put("X-A", "1");
    twice.put("x-a", "2");
    assertThatThrownBy(() -> SubscriptionRules.checkHeaders(twice)).hasMessageContaining("twice");
    assertThatThrownBy(() -> SubscriptionRules.checkHeaders(java.util.Map.of("X-A", "line\r\nInjected: 1")))
        .hasMessageStartingWith("headers:");
    assertThat(SubscriptionRules.checkHeaders(java.util.Map.of("Authorization", "Bearer abc", "X-Env", "prod")))
        .containsEntry("Authorization", "Bearer abc").containsEntry("X-Env", "prod");
  }

  @Test
  void rate_limit_metadata_and_description_are_bounded_naming_their_fields() {
    assertThatThrownBy(() -> SubscriptionRules.checkRateLimit(0)).hasMessageStartingWith("rate_limit:");
    assertThatThrownBy(() -> SubscriptionRules.checkRateLimit(10_001)).hasMessageStartingWith("rate_limit:");
    assertThat(SubscriptionRules.checkRateLimit(null)).isNull();
    assertThatThrownBy(() -> SubscriptionRules.checkMetadata(java.util.Map.of("k".repeat(41), "v")))
        .hasMessageStartingWith("metadata:");
    assertThatThrownBy(() -> SubscriptionRules.checkMetadata(java.util.Map.of("k", "v".repeat(501))))
        .hasMessageStartingWith("metadata:");
    assertThatThrownBy(() -> SubscriptionRules.checkDescription("d".repeat(501))).hasMessageStartingWith("description:");
    assertThat(new InvalidSubscriptionException("rate_limit: must be 1..10000").field()).isEqualTo("rate_limit");
  }

  @Test
  void a_patch_replaces_only_the_given_fields_and_enabling_clears_the_reason() {
    Subscription disabled = Subscription.newBuilder(base()).setEnabled(false)
        .setDisabledReason("endpoint answered 410 Gone").setDescription("old").setRateLimitPerSecond(5).build();

    Subscription patched = SubscriptionRules.applyPatch(disabled, SubscriptionPatch.none().withEnabled(true)
        .withDescription(null).withEventTypes(List.of("ticket.created")), STRICT, NOW.plusSeconds(5));

    assertThat(patched.getEnabled()).isTrue();
    assertThat(patched.getDisabledReason()).isNull();
    assertThat(patched.getDescription()).isNull();
    assertThat(patched.getEventTypes()).containsExactly("ticket.created");
    assertThat(patched.getRateLimitPerSecond()).isEqualTo(5);
    assertThat(patched.getUrl()).isEqualTo(URL);
    assertThat(patched.getSecrets()).isEqualTo(disabled.getSecrets());
    assertThat(patched.getUpdatedAt()).isEqualTo(NOW.plusSeconds(5));
    // a clock behind the stored version still orders the new one after it
    assertThat(SubscriptionRules.applyPatch(patched, SubscriptionPatch.none(), STRICT, NOW).getUpdatedAt())
        .isEqualTo(NOW.plusSeconds(5).plusMillis(1));
    assertThatThrownBy(() -> SubscriptionRules.applyPatch(patched, SubscriptionPatch.none().withUrl("https://10.1.2.3/"),
        STRICT, NOW)).hasMessageStartingWith("url:");
    assertThatThrownBy(() -> SubscriptionRules.applyPatch(patched, SubscriptionPatch.none().withEventTypes(List.of()),
        STRICT, NOW)).hasMessageStartingWith("event_types:");
  }

  @Test
  void a_rotation_keeps_the_secrets_in_force_until_the_grace_period_ends() {
    Subscription s = base();
    String first = s.getSecrets().get(0).getSecret();
    java.time.Duration grace = java.time.Duration.ofHours(24);

    Subscription once = SubscriptionRules.rotateSecret(s, null, grace, NOW);
    String second = once.getSecrets().get(1).getSecret();
    Subscription twice = SubscriptionRules.rotateSecret(once, null, grace, NOW.plusSeconds(3600));

    assertThat(once.getSecrets()).extracting(SigningSecret::getExpiresAt).containsExactly(NOW.plus(grace), null);
    assertThat(SubscriptionRules.signingSecrets(once, NOW.plus(grace).minusMillis(1))).containsExactly(first, second);
    assertThat(SubscriptionRules.signingSecrets(once, NOW.plus(grace))).containsExactly(second);
    // an expiry already set is kept, not pushed back
    assertThat(twice.getSecrets()).extracting(SigningSecret::getExpiresAt)
        .containsExactly(NOW.plus(grace), NOW.plusSeconds(3600).plus(grace), null);
    assertThat(SubscriptionRules.withoutExpiredSecrets(twice, NOW.plus(grace).minusMillis(1))).isEmpty();
    assertThat(SubscriptionRules.withoutExpiredSecrets(twice, NOW.plus(grace)).orElseThrow().getSecrets())
        .extracting(SigningSecret::getSecret).containsExactly(second, twice.getSecrets().get(2).getSecret());
    assertThat(SubscriptionRules.rotateSecret(s, null, java.time.Duration.ZERO, NOW).getSecrets()).hasSize(1);
    assertThatThrownBy(() -> SubscriptionRules.rotateSecret(once, second, grace, NOW))
        .hasMessageStartingWith("secret:").hasMessageContaining("already in force");
    assertThatThrownBy(() -> SubscriptionRules.rotateSecret(once, "whsec_abc", grace, NOW))
        .hasMessageStartingWith("secret:");
    Subscription full = once;
    for (int i = 0; i < SubscriptionRules.MAX_SECRETS - 2; i++) {
      full = SubscriptionRules.rotateSecret(full, null, grace, NOW);
    }
    Subscription fullNow = full;
    assertThat(fullNow.getSecrets()).hasSize(SubscriptionRules.MAX_SECRETS);
    assertThatThrownBy(() -> SubscriptionRules.rotateSecret(fullNow, null, grace, NOW)).hasMessageStartingWith("secret:");
  }
}
