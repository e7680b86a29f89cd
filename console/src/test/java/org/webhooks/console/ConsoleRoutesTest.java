package org.webhooks.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The console's files over real HTTP: each one with its media type, the security headers and a
 * working ETag; nothing else, whatever the request names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleRoutesTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Vertx vertx;
  private HttpServer server;
  private Console console;

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    console = Console.mount(router);
    server = vertx.createHttpServer().requestHandler(router);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void theRootAnswersTheConsolePageUnderAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<byte[]> page = get("/");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(new String(page.body())).contains("<script type=\"module\" src=\"/console/js/main.js\"></script>");
    String csp = page.headers().firstValue("content-security-policy").orElseThrow();
    assertThat(csp).isEqualTo(Console.CONTENT_SECURITY_POLICY)
        .contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")
        .doesNotContain("unsafe-inline", "unsafe-eval", "*");
    assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("referrer-policy")).hasValue("no-referrer");
    assertThat(page.headers().firstValue("x-frame-options")).hasValue("DENY");
  }

  @Test
  void everyFileIsServedWithItsMediaTypeAndAnEtagThatAnswers304WhileUnchanged() throws Exception {
    List<String> files = console.files();
    assertThat(files).contains("index.html", "console.css", "favicon.svg", "js/main.js", "js/api.js");

    for (String file : files) {
      HttpResponse<byte[]> r = get(Console.PREFIX + file);
      assertThat(r.statusCode()).as(file).isEqualTo(200);
      Path source = Path.of("src/main/resources", Console.WEB_FOLDER, file);
      assertThat(r.body()).as(file).isEqualTo(Files.readAllBytes(source));
      String type = r.headers().firstValue("content-type").orElseThrow();
      if (file.endsWith(".js")) {
        assertThat(type).as(file).isEqualTo("text/javascript; charset=utf-8"); // module scripts need it
      }
      assertThat(r.headers().firstValue("content-security-policy")).as(file).hasValue(Console.CONTENT_SECURITY_POLICY);
      assertThat(r.headers().firstValue("cache-control")).as(file).hasValue("no-cache");
      String etag = r.headers().firstValue("etag").orElseThrow();

      HttpResponse<byte[]> again = get(Console.PREFIX + file, "If-None-Match", etag);
      assertThat(again.statusCode()).as(file).isEqualTo(304);
      assertThat(again.body()).isEmpty();
    }
  }

  @Test
  void onlyPackagedFilesAreServedWhateverThePathNames() throws Exception {
    // the working directory of this test is the module, which holds pom.xml and src/: none of it is served
    assertThat(Files.exists(Path.of("pom.xml"))).isTrue();
    for (String path : List.of("/console/pom.xml", "/console/../pom.xml", "/console/%2e%2e/pom.xml",
        "/console/src/main/java/org/webhooks/console/Console.java", "/console/", "/console/js",
        "/console/js/../../pom.xml", "/console/no-such-file.js", "/console//etc/passwd",
        "/console/..%2f..%2fpom.xml")) {
      HttpResponse<byte[]> r = get(path);
      assertThat(r.statusCode()).as(path).isIn(400, 404);
      assertThat(new String(r.body())).as(path).doesNotContain("<project", "package org.webhooks", "root:");
    }
    // a 404 of the console is under the same policy as its pages
    assertThat(get("/console/no-such-file.js").headers().firstValue("content-security-policy"))
        .hasValue(Console.CONTENT_SECURITY_POLICY);
  }
}
