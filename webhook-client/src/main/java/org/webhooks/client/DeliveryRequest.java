package org.webhooks.client;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.webhooks.schemas.WebhookSignature;

/**
 * One signed POST, ready to go: the body bytes exactly as the fanout rendered them, the three
 * Standard Webhooks headers and the subscription's custom headers.
 *
 * @param url the subscription's endpoint URL at send time
 * @param webhookId the {@code webhook-id} header: the event id, the same on every attempt
 * @param timestampSeconds the {@code webhook-timestamp} header: unix seconds of this attempt
 * @param signature the {@code webhook-signature} header: one {@code v1,<base64>} per secret in force
 * @param body the request body bytes
 * @param headers the subscription's custom headers, name to value; {@link EndpointClient} leaves out
 *     reserved ones ({@link org.webhooks.schemas.ReservedHeaders}) and malformed ones
 */
public record DeliveryRequest(String url, String webhookId, long timestampSeconds, String signature, byte[] body,
    Map<String, String> headers) {

  public DeliveryRequest {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** A request without custom headers. */
  public DeliveryRequest(String url, String webhookId, long timestampSeconds, String signature, byte[] body) {
    this(url, webhookId, timestampSeconds, signature, body, Map.of());
  }

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
    return signed(url, secrets, webhookId, now, body, Map.of());
  }

  /**
   * As {@link #signed(String, List, String, Instant, byte[])}, with the subscription's custom headers.
   *
   * @param headers custom headers, name to value (reserved ones are left out when sent)
   * @throws IllegalArgumentException when {@code secrets} is empty or one is malformed
   */
  public static DeliveryRequest signed(String url, List<String> secrets, String webhookId, Instant now, byte[] body,
      Map<String, String> headers) {
    return signed(new WebhookSignature.Signer(), url, secrets, webhookId, now, body, headers);
  }

  /**
   * As {@link #signed(String, List, String, Instant, byte[], Map)}, with a signer that keeps its keys
   * from request to request (one per thread).
   *
   * @throws IllegalArgumentException when {@code secrets} is empty or one is malformed
   */
  public static DeliveryRequest signed(WebhookSignature.Signer signer, String url, List<String> secrets,
      String webhookId, Instant now, byte[] body, Map<String, String> headers) {
    if (secrets.isEmpty()) {
      throw new IllegalArgumentException("the subscription has no signing secret in force");
    }
    long ts = now.getEpochSecond();
    return new DeliveryRequest(url, webhookId, ts, signer.sign(secrets, webhookId, ts, body), body, headers);
  }

  /** Leaves the body and the signature out: they are not for logs. */
  @Override
  public String toString() {
    return "DeliveryRequest[url=" + url + ", webhookId=" + webhookId + ", timestampSeconds=" + timestampSeconds
        + ", body=" + body.length + " bytes, headers=" + headers.keySet() + "]";
  }
}
