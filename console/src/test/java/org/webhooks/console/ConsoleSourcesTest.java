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
  void everyImportedModuleAndEveryFileThePageNamesIsPackaged() throws IOException {
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> script : sources(".js").entrySet()) {
      Matcher m = IMPORT.matcher(script.getValue());
      while (m.find()) {
        String target = m.group(1);
        assertThat(target).as(script.getKey() + " imports " + target + " by a relative path").startsWith(".");
        Path resolved = WEB.resolve(script.getKey()).getParent().resolve(target).normalize();
        if (!Files.isRegularFile(resolved)) {
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
        if (!Files.isRegularFile(WEB.resolve(ref.substring(Console.PREFIX.length())))) {
          missing.add(page.getKey() + " -> " + ref);
        }
      }
    }
    assertThat(missing).isEmpty();
  }
}
