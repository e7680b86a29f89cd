package org.webhooks.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the browser tests cannot see by running the pages: the sources keep to what the
 * Content-Security-Policy allows on every path (no inline script, style or event handler anywhere,
 * not only on the pages a test visits), build no markup from strings, and every module and file they
 * name is packaged.
 */
class ConsoleSourcesTest {

  private static final Path WEB = Path.of("src/main/resources", Console.WEB_FOLDER);
  private static final Pattern IMPORT = Pattern.compile("(?m)^\\s*(?:import|export)\\s[^;]*?from\\s+'([^']+)'");
  private static final Pattern HTML_REF = Pattern.compile("(?:src|href)=\"([^\"]+)\"");

  private static Map<String, String> sources(String extension) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(WEB)) {
      for (Path f : files.filter(p -> p.toString().endsWith(extension)).toList()) {
        out.put(WEB.relativize(f).toString().replace('\\', '/'), Files.readString(f, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** @return whether a path under the console's prefix is a file of a vendored library that is served */
  private static boolean vendored(String relative) {
    for (Console.Source source : Console.SOURCES) {
      if (!source.urlPath().isEmpty() && relative.startsWith(source.urlPath())) {
        String file = relative.substring(source.urlPath().length());
        return source.only().contains(file)
            && Console.class.getClassLoader().getResource(source.folder() + "/" + file) != null;
      }
    }
    return false;
  }

  @Test
  void theHtmlHasNoInlineScriptStyleOrEventHandler() throws IOException {
    Map<String, String> html = sources(".html");
    assertThat(html).containsKey("index.html");
    for (Map.Entry<String, String> page : html.entrySet()) {
      String text = page.getValue();
      assertThat(text).as(page.getKey()).doesNotContainPattern("(?i)<script(?![^>]*\\bsrc=)[^>]*>");
      assertThat(text).as(page.getKey()).doesNotContainPattern("(?i)\\son[a-z]+\\s*=");
      assertThat(text).as(page.getKey()).doesNotContainPattern("(?i)\\sstyle\\s*=");
      assertThat(text).as(page.getKey()).doesNotContainPattern("(?i)<style");
      assertThat(text).as(page.getKey()).doesNotContainPattern("(?i)javascript:");
    }
  }

  @Test
  void theScriptsBuildNoMarkupFromTextAndEvaluateNoCode() throws IOException {
    Map<String, String> scripts = sources(".js");
    assertThat(scripts).containsKey("js/main.js");
    List<String> forbidden = List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
        "new Function", "setAttribute('style'", "setAttribute('on", "javascript:", "localStorage", "document.cookie");
    for (Map.Entry<String, String> script : scripts.entrySet()) {
      for (String f : forbidden) {
        assertThat(script.getValue()).as(script.getKey() + " uses " + f).doesNotContain(f);
      }
      // h(tag, {style: ...}) would become a style attribute, which the policy blocks
      assertThat(script.getValue()).as(script.getKey()).doesNotContainPattern("[{,]\\s*style\\s*:");
    }
  }

  @Test
  void theVendoredChartLibraryNeedsNothingThePolicyBlocks() throws IOException {
    // uPlot sizes its elements through element.style (the CSS object model, which style-src 'self'
    // allows); a version that evaluated code, wrote style attributes or style sheets, or parsed markup
    // would break under the policy, so a version bump is checked here before any browser sees it
    Console.Source uplot = Console.SOURCES.stream().filter(s -> s.urlPath().equals("vendor/uplot/")).findFirst().orElseThrow();
    String module;
    try (var in = Console.class.getClassLoader().getResourceAsStream(uplot.folder() + "/uPlot.esm.js")) {
      assertThat(in).as("uPlot's ES module on the classpath").isNotNull();
      module = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(module).contains("export { uPlot as default }");
    for (String f : List.of("eval(", "new Function", "setAttribute(\"style\"", "setAttribute('style'", "cssText",
        "<style", "insertRule", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "javascript:")) {
      assertThat(module).as("uPlot uses " + f).doesNotContain(f);
    }
  }

  @Test
  void everyImportedModuleAndEveryFileThePageNamesIsPackaged() throws IOException {
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> script : sources(".js").entrySet()) {
      Matcher m = IMPORT.matcher(script.getValue());
      while (m.find()) {
        String target = m.group(1);
        assertThat(target).as(script.getKey() + " imports " + target + " by a relative path").startsWith(".");
        Path resolved = WEB.resolve(script.getKey()).getParent().resolve(target).normalize();
        if (!Files.isRegularFile(resolved) && !vendored(WEB.relativize(resolved).toString().replace('\\', '/'))) {
          missing.add(script.getKey() + " -> " + target);
        }
      }
    }
    for (Map.Entry<String, String> page : sources(".html").entrySet()) {
      Matcher m = HTML_REF.matcher(page.getValue());
      while (m.find()) {
        String ref = m.group(1);
        if (ref.startsWith("#")) {
          continue;
        }
        assertThat(ref).as(page.getKey() + " names " + ref).startsWith(Console.PREFIX);
        String relative = ref.substring(Console.PREFIX.length());
        if (!Files.isRegularFile(WEB.resolve(relative)) && !vendored(relative)) {
          missing.add(page.getKey() + " -> " + ref);
        }
      }
    }
    assertThat(missing).isEmpty();
  }
}
