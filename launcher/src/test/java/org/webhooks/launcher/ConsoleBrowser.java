package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The system's headless Chromium driven through its chromedriver (Debian's {@code chromium} and
 * {@code chromium-driver}), for tests of the web console. Nothing is downloaded: the binaries are
 * taken from the PATH, and Selenium Manager is never asked for them. The browser reaches only this
 * machine: every host name resolves to nothing but 127.0.0.1, and background services are off.
 *
 * <p>Where Chromium or chromedriver is missing the tests that need them are skipped with a log line
 * saying so, unless {@code BROWSER_TESTS=required} (set by {@code .ci/run}), where that is a failure.
 */
final class ConsoleBrowser implements AutoCloseable {

  /** Set to {@code required} to make a missing browser a failure instead of a skip. */
  static final String REQUIRED_VARIABLE = "BROWSER_TESTS";
  /** System property naming a folder where the screenshots are written too (the docs' folder). */
  static final String SCREENSHOTS_PROPERTY = "console.screenshots";
  /** The two widths every page is looked at, px: a laptop and a phone. */
  static final List<Integer> WIDTHS = List.of(1280, 390);

  private static final Logger LOG = LoggerFactory.getLogger(ConsoleBrowser.class);
  private static final String[] CHROMEDRIVER = {"chromedriver"};
  private static final String[] CHROMIUM = {"chromium", "chromium-browser", "google-chrome"};
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Chrome's own console line for an HTTP error answer, e.g. "... - Failed to load resource: the server responded with a status of 400 (Bad Request)". */
  private static final Pattern HTTP_ERROR = Pattern.compile("^(\\S+) - Failed to load resource: the server responded "
      + "with a status of (\\d{3}) .*$");

  private final ChromeDriver driver;
  private final List<Path> screenshotDirs;

  private ConsoleBrowser(ChromeDriver driver, List<Path> screenshotDirs) {
    this.driver = driver;
    this.screenshotDirs = screenshotDirs;
  }

  /**
   * Starts headless Chromium, or skips the calling test class when there is none and none is required.
   *
   * @param logDir where chromedriver writes its log
   * @param origin the console's origin ({@code http://127.0.0.1:PORT}), which may use the clipboard
   */
  static ConsoleBrowser start(Path logDir, String origin) throws IOException {
    assumeInstalled();
    Path chromedriver = onPath(CHROMEDRIVER).orElseThrow();
    Path chromium = onPath(CHROMIUM).orElseThrow();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,900", "--lang=en-US", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
        "--disable-client-side-phishing-detection", "--disable-features=Translate,OptimizationHints,MediaRouter",
        // nothing leaves this machine: names resolve to nothing, and any request not to a loopback address
        // (which Chromium never sends through a proxy) goes to a closed local port
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
        "--user-data-dir=" + Files.createTempDirectory(logDir, "chromium-profile"));
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    // the console's copy button writes the clipboard; the test reads it back
    options.setExperimentalOption("prefs", Map.of("profile.content_settings.exceptions.clipboard",
        Map.of(origin + ",*", Map.of("setting", 1))));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .withLogFile(logDir.resolve("chromedriver.log").toFile())
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    List<Path> dirs = new ArrayList<>(List.of(Path.of("target", "console-screenshots")));
    String docs = System.getProperty(SCREENSHOTS_PROPERTY);
    if (docs != null && !docs.isBlank()) {
      dirs.add(Path.of(docs));
    }
    for (Path d : dirs) {
      Files.createDirectories(d);
    }
    LOG.info("browser: {} {} with {}", chromium, driver.getCapabilities().getBrowserVersion(), chromedriver);
    return new ConsoleBrowser(driver, dirs);
  }

  /**
   * Skips the calling test class, with a log line saying why, when Chromium or chromedriver is not on
   * the PATH; fails it instead when {@code BROWSER_TESTS=required}. Call it first, before starting
   * anything the tests would need only with a browser.
   *
   * @throws IllegalStateException when a browser is required and missing
   */
  static void assumeInstalled() {
    Optional<Path> chromedriver = onPath(CHROMEDRIVER);
    Optional<Path> chromium = onPath(CHROMIUM);
    if (chromedriver.isPresent() && chromium.isPresent()) {
      return;
    }
    String missing = "browser tests of the console need Chromium and chromedriver on the PATH (Debian: apt-get "
        + "install chromium chromium-driver); found chromium=" + chromium.map(Path::toString).orElse("none")
        + ", chromedriver=" + chromedriver.map(Path::toString).orElse("none");
    if ("required".equals(System.getenv(REQUIRED_VARIABLE))) {
      throw new IllegalStateException(missing + ", and " + REQUIRED_VARIABLE + "=required");
    }
    LOG.warn("SKIPPED: {} (set {}=required to fail instead)", missing, REQUIRED_VARIABLE);
    Assumptions.abort(missing);
  }

  private static Optional<Path> onPath(String... names) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String name : names) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  ChromeDriver driver() {
    return driver;
  }

  /** Opens a URL (a page of the console, or another fragment of it). */
  void open(String url) {
    driver.get(url);
  }

  /** Waits until the condition holds, at most 20 s. */
  <T> T until(ExpectedCondition<T> condition) {
    // pages are redrawn as answers come: an element found a moment ago may have been replaced
    return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(condition);
  }

  /** @return the element, once it is on the page */
  WebElement find(By by) {
    return until(d -> d.findElement(by));
  }

  /** @return the result of a script run in the page */
  Object script(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** @return the result of an asynchronous script, which calls {@code arguments[arguments.length - 1]} */
  Object asyncScript(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
  }

  /** @return the text the clipboard holds, read as the page would with navigator.clipboard */
  String clipboard() {
    return String.valueOf(asyncScript("const done = arguments[arguments.length - 1];"
        + "navigator.clipboard.readText().then(done, (e) => done('clipboard refused: ' + e));"));
  }

  /**
   * Asserts that the browser logged no warning or error since the last call: no script error, no
   * policy violation, no failed load; except HTTP error answers of the API that the test caused on
   * purpose (a refused field, another account's endpoint).
   *
   * @param expectedHttpErrors the errors expected, each {@code "<status> <path>"}, e.g. {@code "400 /v1/webhooks"}
   */
  void assertNoErrorsLoggedBut(String... expectedHttpErrors) {
    List<String> expected = new ArrayList<>(List.of(expectedHttpErrors));
    List<String> unexpected = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() < Level.WARNING.intValue()) {
        continue;
      }
      var m = HTTP_ERROR.matcher(e.getMessage());
      if (m.matches()) {
        String seen = m.group(2) + " " + java.net.URI.create(m.group(1)).getPath();
        if (expected.remove(seen)) {
          continue;
        }
      }
      unexpected.add(e.getLevel() + " " + e.getMessage());
    }
    assertThat(unexpected).as("the browser's console").isEmpty();
    assertThat(expected).as("expected HTTP errors not logged").isEmpty();
  }

  /**
   * Takes a screenshot of the page as it is, at each of {@link #WIDTHS}, as {@code <name>-<width>.png};
   * and checks at each width what a narrow screen would break: nothing is wider than the window, and
   * every control has a label.
   *
   * @param name the page's name in the file name
   * @param fullPage the whole page (a modal dialog: only the window)
   */
  void screenshots(String name, boolean fullPage) throws IOException {
    for (int width : WIDTHS) {
      driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height",
          width < 600 ? 844 : 900, "deviceScaleFactor", 1, "mobile", width < 600));
      assertReadableAt(width);
      Map<String, Object> params = new java.util.HashMap<>(Map.of("format", "png"));
      if (fullPage) {
        @SuppressWarnings("unchecked")
        Map<String, Object> size = (Map<String, Object>) driver.executeCdpCommand("Page.getLayoutMetrics", Map.of())
            .get("cssContentSize");
        params.put("captureBeyondViewport", true);
        params.put("clip", Map.of("x", 0, "y", 0, "width", width,
            "height", Math.max(((Number) size.get("height")).doubleValue(), 200), "scale", 1));
      }
      byte[] png = Base64.getDecoder().decode((String) driver.executeCdpCommand("Page.captureScreenshot", params)
          .get("data"));
      for (Path dir : screenshotDirs) {
        Files.write(dir.resolve(name + "-" + width + ".png"), png);
      }
    }
    driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
  }

  /** Asserts that at this width the page needs no sideways scrolling and every control has a name. */
  void assertReadableAt(int width) {
    assertThat(((Number) script("return window.innerWidth;")).intValue()).isEqualTo(width);
    // the content's width against the room it has beside a vertical scroll bar
    Number room = (Number) script("return document.documentElement.clientWidth;");
    Number scrollWidth = (Number) script("return document.documentElement.scrollWidth;");
    assertThat(scrollWidth.intValue()).as("page width at a window of " + width + " px")
        .isLessThanOrEqualTo(room.intValue());
    assertThat(unlabelledControls()).as("controls without a label").isEmpty();
  }

  /**
   * @return a description of each visible control (input, select, textarea, button, link) that has no
   *     accessible name: no label, aria-label or aria-labelledby, and (buttons, links) no text
   */
  @SuppressWarnings("unchecked")
  List<String> unlabelledControls() {
    return (List<String>) script("""
        const out = [];
        for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
          if (el.type === 'hidden' || el.closest('[hidden]') || el.getClientRects().length === 0) continue;
          const labelled = (el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim()))
            || (el.getAttribute('aria-label') || '').trim()
            || (el.getAttribute('aria-labelledby') || '').split(' ').some((id) => {
                 const t = document.getElementById(id); return t && t.textContent.trim(); })
            || ((el.tagName === 'BUTTON' || el.tagName === 'A') && (el.textContent.trim() || el.querySelector('img[alt]:not([alt=""])')));
          if (!labelled) out.push(el.outerHTML.slice(0, 120));
        }
        return out;""");
  }

  /** @return the text of the page's main region */
  String mainText() {
    return driver.findElement(By.id("main")).getText();
  }

  @Override
  public void close() {
    driver.quit();
  }

}
