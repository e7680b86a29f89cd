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
 * Asks the delivery-stats instance that holds a key for the answer, over its internal routes
 * ({@link StatsRoutes}), with the shared token and the header that makes it answer from its own stores
 * rather than forward again.
 */
final class PeerClient {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  private final String token;

  /** @param token {@code WEBHOOKS_INTERNAL_TOKEN}; empty = forwarding is refused */
  PeerClient(String token) {
    this.token = token;
  }

  /**
   * @param path a route of {@link StatsRoutes}, e.g. {@link StatsRoutes#STATS}
   * @param params query parameters (null values are left out)
   * @return the answer, or empty when the peer answered 404
   * @throws StatsUnavailableException when no token is set, the peer cannot be reached, or answers
   *     anything but 200 or 404
   * @throws IllegalArgumentException when the peer refused the parameters (400)
   */
  <T> Optional<T> get(HostInfo peer, String path, Map<String, String> params, Class<T> type) {
    if (token.isEmpty()) {
      throw new StatsUnavailableException("the data is held by delivery-stats instance " + peer.host() + ":"
          + peer.port() + ", and instances forward queries only with WEBHOOKS_INTERNAL_TOKEN set on every one");
    }
    StringJoiner query = new StringJoiner("&");
    params.forEach((k, v) -> {
      if (v != null) {
        query.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    URI uri = URI.create("http://" + peer.host() + ":" + peer.port() + path + "?" + query);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
        .header(StatsRoutes.TOKEN_HEADER, token).header(StatsRoutes.FORWARDED_HEADER, "true").GET().build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new StatsUnavailableException("delivery-stats instance " + peer.host() + ":" + peer.port()
          + " cannot be reached: " + e, e);
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
      default -> throw new StatsUnavailableException("delivery-stats instance " + peer.host() + ":" + peer.port()
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
