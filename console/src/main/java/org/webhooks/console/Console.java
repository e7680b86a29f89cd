package org.webhooks.console;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console: static HTML, CSS and JavaScript modules that run in the customer's browser and
 * speak only to the public REST API ({@code /v1}, with the API key the customer signs in with). This
 * class serves the files; it holds no state and calls no service: the console can do nothing that a
 * customer with {@code curl} and a key could not.
 *
 * <p>Routes: {@code GET /} answers {@code index.html}; {@code GET /console/<path>} answers the
 * packaged file at that path (404 otherwise). Every answer carries {@link #CONTENT_SECURITY_POLICY}
 * (scripts, styles, images and connections from this origin only: no inline script, inline style
 * attribute or inline event handler runs, and the page cannot be framed), {@code nosniff}, no
 * referrer, a strong {@code ETag} and {@code Cache-Control: no-cache} (a browser asks again, and
 * gets 304 while the file is unchanged, so an upgrade is seen at the next load).
 *
 * <p>Files come from {@code org/webhooks/console/web} on the classpath. A browser library packaged
 * as a WebJar (Maven Central) is served by adding a {@link Source} for its folder, e.g.
 * {@code META-INF/resources/webjars/uplot/1.6.30/dist} at {@code vendor/uplot/}.
 */
public final class Console {

  /**
   * The Content-Security-Policy of every console answer (W3C CSP Level 3): everything from this
   * origin only, nothing inline, no framing, no plugins, forms posting nowhere else.
   */
  public static final String CONTENT_SECURITY_POLICY = String.join("; ",
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'");

  /** The path prefix of the console's files. */
  public static final String PREFIX = "/console/";

  /** The classpath folder of the console's own files. */
  static final String WEB_FOLDER = "org/webhooks/console/web";

  private static final Logger LOG = LoggerFactory.getLogger(Console.class);

  /**
   * A folder of files served under {@link #PREFIX}.
   *
   * @param urlPath where under {@link #PREFIX} its files appear: empty, or a path ending in {@code /}
   * @param folder the classpath folder
   * @param marker a file in that folder, by which it is found
   */
  record Source(String urlPath, String folder, String marker) {}

  /** What the console serves: its own files, then any vendored library's. */
  static final List<Source> SOURCES = List.of(new Source("", WEB_FOLDER, "index.html"));

  private final List<Loaded> loaded;

  private record Loaded(String urlPath, ConsoleAssets assets) {}

  private Console(List<Loaded> loaded) {
    this.loaded = loaded;
  }

  /**
   * Reads the console's files and adds {@code GET /} and {@code GET /console/*} to {@code router}.
   *
   * @param router the process's router, shared with the API and the operational routes
   * @return the console, whose {@link #files()} says what it serves
   * @throws IllegalStateException when a file is missing or cannot be served (see {@link ConsoleAssets#load})
   */
  public static Console mount(Router router) {
    List<Loaded> loaded = new ArrayList<>();
    for (Source s : SOURCES) {
      loaded.add(new Loaded(s.urlPath(), ConsoleAssets.load(Console.class.getClassLoader(), s.folder(), s.marker())));
    }
    Console console = new Console(List.copyOf(loaded));
    router.get("/").handler(ctx -> console.serve(ctx, "index.html"));
    router.get(PREFIX + "*").handler(ctx -> console.serve(ctx, ctx.request().path().substring(PREFIX.length())));
    LOG.info("web console on / ({} files under {})", console.files().size(), PREFIX);
    return console;
  }

  /** @return the paths of every file served, relative to {@link #PREFIX} */
  public List<String> files() {
    List<String> out = new ArrayList<>();
    for (Loaded l : loaded) {
      l.assets().paths().forEach(p -> out.add(l.urlPath() + p));
    }
    return out;
  }

  private Optional<ConsoleAssets.Asset> find(String path) {
    for (Loaded l : loaded) {
      if (path.startsWith(l.urlPath())) {
        Optional<ConsoleAssets.Asset> a = l.assets().get(path.substring(l.urlPath().length()));
        if (a.isPresent()) {
          return a;
        }
      }
    }
    return Optional.empty();
  }

  private void serve(RoutingContext ctx, String path) {
    HttpServerResponse response = securityHeaders(ctx.response());
    Optional<ConsoleAssets.Asset> asset = find(path);
    if (asset.isEmpty()) {
      response.setStatusCode(404).putHeader("content-type", "text/plain; charset=utf-8")
          .end("no console file " + path);
      return;
    }
    ConsoleAssets.Asset a = asset.get();
    response.putHeader("etag", a.etag()).putHeader("cache-control", "no-cache");
    if (a.etag().equals(ctx.request().getHeader("if-none-match"))) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader("content-type", a.contentType()).end(io.vertx.core.buffer.Buffer.buffer(a.body()));
  }

  private static HttpServerResponse securityHeaders(HttpServerResponse response) {
    return response
        .putHeader("content-security-policy", CONTENT_SECURITY_POLICY)
        .putHeader("x-content-type-options", "nosniff")
        .putHeader("referrer-policy", "no-referrer")
        .putHeader("x-frame-options", "DENY")
        .putHeader("cross-origin-opener-policy", "same-origin");
  }
}
