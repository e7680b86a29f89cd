package org.webhooks.console;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
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
 * as a WebJar (Maven Central) is served by adding a {@link Source} for its folder: uPlot, the
 * charts of the endpoint page, is {@code META-INF/resources/webjars/uplot/<version>/dist} at
 * {@code vendor/uplot/}.
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
   * @param only the files of the folder served (relative paths); empty for every file
   */
  record Source(String urlPath, String folder, String marker, Set<String> only) {}

  /** The chart library of the monitoring pages (uPlot, MIT), a WebJar on the classpath. */
  static final String UPLOT_WEBJAR = "org.webjars.npm/uplot";

  /**
   * What the console serves: its own files, then uPlot's module and stylesheet at
   * {@code vendor/uplot/uPlot.esm.js} and {@code vendor/uplot/uPlot.min.css}, whatever version of the
   * WebJar the build put on the classpath (so a version bump in the pom needs no change here).
   */
  static final List<Source> SOURCES = List.of(
      new Source("", WEB_FOLDER, "index.html", Set.of()),
      new Source("vendor/uplot/", webJarFolder(UPLOT_WEBJAR, "uplot") + "/dist", "uPlot.esm.js",
          Set.of("uPlot.esm.js", "uPlot.min.css")));

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
      loaded.add(new Loaded(s.urlPath(),
          ConsoleAssets.load(Console.class.getClassLoader(), s.folder(), s.marker(), s.only())));
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

  /**
   * @param coordinates {@code <groupId>/<artifactId>} of a WebJar
   * @param name its folder under {@code META-INF/resources/webjars/}
   * @return {@code META-INF/resources/webjars/<name>/<version>}, the version read from the WebJar's
   *     own {@code pom.properties}
   * @throws IllegalStateException when the WebJar is not on the classpath
   */
  static String webJarFolder(String coordinates, String name) {
    String properties = "META-INF/maven/" + coordinates + "/pom.properties";
    try (InputStream in = Console.class.getClassLoader().getResourceAsStream(properties)) {
      if (in == null) {
        throw new IllegalStateException(properties + " is missing from the classpath: is the WebJar a dependency?");
      }
      Properties p = new Properties();
      p.load(in);
      return "META-INF/resources/webjars/" + name + "/" + p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + properties, e);
    }
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
