package org.webhooks.fanout;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * A pass-through HTTP proxy in front of the real schema registry that a test can cut off: while
 * {@link #cut(boolean) cut}, every connection is closed without an answer, which the registry
 * client sees as an I/O failure (the registry cannot be reached), not as a refusal.
 */
final class RegistryProxy implements AutoCloseable {

  private final URI target;
  private final HttpServer server;
  private final HttpClient http = HttpClient.newHttpClient();
  private volatile boolean cut;

  /** @param registryUrl the real registry's base URL, path included */
  RegistryProxy(String registryUrl) throws IOException {
    this.target = URI.create(registryUrl);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** @return the proxy's URL for the same base path as the real registry's */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + target.getRawPath();
  }

  void cut(boolean cut) {
    this.cut = cut;
  }

  private void handle(HttpExchange exchange) throws IOException {
    if (cut) {
      exchange.close();
      return;
    }
    try (exchange; InputStream in = exchange.getRequestBody()) {
      URI uri = target.resolve(exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
      HttpRequest.Builder request = HttpRequest.newBuilder(uri)
          .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(in.readAllBytes()));
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        if (h.getKey().equalsIgnoreCase("content-type") || h.getKey().equalsIgnoreCase("accept")) {
          h.getValue().forEach(v -> request.header(h.getKey(), v));
        }
      }
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      response.headers().firstValue("content-type").ifPresent(v -> exchange.getResponseHeaders().add("content-type", v));
      byte[] body = response.body();
      exchange.sendResponseHeaders(response.statusCode(), body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
