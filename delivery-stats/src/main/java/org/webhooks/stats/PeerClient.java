package org.webhooks.stats;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks a delivery-stats instance over its internal routes ({@link StatsRoutes}), with the shared token:
 * an instance asks the one that holds a key, with the header that makes it answer from its own stores
 * rather than forward again; a control plane asks any instance, without it, and that one routes the
 * query.
 */
final class PeerClient {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  private final String token;
  private final boolean forwarded;

  /** @param token {@code WEBHOOKS_INTERNAL_TOKEN}; empty = forwarding is refused */
  PeerClient(String token) {
    this(token, true);
  }

  /**
   * @param token {@code WEBHOOKS_INTERNAL_TOKEN}; empty = every request is refused here
   * @param forwarded true between instances: the instance asked answers from its own stores only
   */
  PeerClient(String token, boolean forwarded) {
    this.token = token;
    this.forwarded = forwarded;
  }

  /** As {@link #get(URI, String, Map, Class)}, of the instance at {@code peer}. */
  <T> Optional<T> get(HostInfo peer, String path, Map<String, String> params, Class<T> type) {
    return get(URI.create("http://" + peer.host() + ":" + peer.port()), path, params, type);
  }

  /**
   * @param path a route of {@link StatsRoutes}, e.g. {@link StatsRoutes#STATS}
   * @param params query parameters (null values are left out)
   * @return the answer, or empty when the peer answered 404
   * @throws StatsUnavailableException when no token is set, the peer cannot be reached, or answers
   *     anything but 200 or 404
   * @throws IllegalArgumentException when the peer refused the parameters (400)
   */
  <T> Optional<T> get(URI base, String path, Map<String, String> params, Class<T> type) {
    String peer = base.getHost() + ":" + base.getPort();
    if (token.isEmpty()) {
      throw new StatsUnavailableException(forwarded
          ? "the data is held by delivery-stats instance " + peer
              + ", and instances forward queries only with WEBHOOKS_INTERNAL_TOKEN set on every one"
          : "delivery-stats at " + peer + " answers only with WEBHOOKS_INTERNAL_TOKEN set here and there");
    }
    StringJoiner query = new StringJoiner("&");
    params.forEach((k, v) -> {
      if (v != null) {
        query.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    URI uri = URI.create(base + path + "?" + query);
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
        .header(StatsRoutes.TOKEN_HEADER, token);
    if (forwarded) {
      builder.header(StatsRoutes.FORWARDED_HEADER, "true");
    }
    HttpRequest request = builder.GET().build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new StatsUnavailableException("delivery-stats instance " + peer + " cannot be reached: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StatsUnavailableException("interrupted while asking delivery-stats instance " + peer, e);
    }
    String body = new String(response.body(), StandardCharsets.UTF_8);
    switch (response.statusCode()) {
      case 200 -> {
        try {
          return Optional.of(StatsJson.mapper().readValue(response.body(), type));
        } catch (IOException e) {
          throw new StatsUnavailableException("delivery-stats instance " + peer + " answered what cannot be read: " + e, e);
        }
      }
      case 404 -> {
        return Optional.empty();
      }
      case 400 -> throw new IllegalArgumentException(errorOf(body));
      default -> throw new StatsUnavailableException("delivery-stats instance " + peer
          + " answered " + response.statusCode() + ": " + errorOf(body));
    }
  }

  private static String errorOf(String body) {
    try {
      var node = StatsJson.mapper().readTree(body);
      return node.hasNonNull("error") ? node.get("error").asText() : body;
    } catch (IOException e) {
      return body;
    }
  }
}
