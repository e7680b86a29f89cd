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
}
