package org.webhooks.client;

import java.time.Instant;
import java.util.List;
import org.webhooks.schemas.WebhookSignature;

/**
 * One signed POST, ready to go: the body bytes exactly as the fanout rendered them and the three
 * Standard Webhooks headers.
 *
 * @param url the subscription's endpoint URL at send time
 * @param webhookId the {@code webhook-id} header: the event id, the same on every attempt
 * @param timestampSeconds the {@code webhook-timestamp} header: unix seconds of this attempt
 * @param signature the {@code webhook-signature} header: one {@code v1,<base64>} per secret in force
 * @param body the request body bytes
 */
public record DeliveryRequest(String url, String webhookId, long timestampSeconds, String signature, byte[] body) {

  /**
   * Signs a request with every secret in force (Standard Webhooks, "Signature scheme"; during a
   * rotation both the old and the new secret sign).
   *
   * @param url the endpoint URL
   * @param secrets the secrets in force, {@code whsec_...}
   * @param webhookId the event id
   * @param now the time of this attempt; its unix seconds become {@code webhook-timestamp}
   * @param body the exact body bytes
   * @throws IllegalArgumentException when {@code secrets} is empty or one is malformed
   */
  public static DeliveryRequest signed(String url, List<String> secrets, String webhookId, Instant now, byte[] body) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("the subscription has no signing secret in force");
    }
    long ts = now.getEpochSecond();
    return new DeliveryRequest(url, webhookId, ts, WebhookSignature.sign(secrets, webhookId, ts, body), body);
  }
}
