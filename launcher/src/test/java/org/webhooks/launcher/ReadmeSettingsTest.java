package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;

/** The README's settings table says exactly what {@link Setting} declares: names, flags and defaults. */
class ReadmeSettingsTest {

  private static final Pattern ROW = Pattern.compile("^\\| `(WEBHOOKS_[A-Z_]+)` \\| `(--[a-z-]+)` \\| (.+?) \\| (.+) \\|$");

  @Test
  void theSettingsTableMatchesTheDeclaredSettings() throws Exception {
    List<String> rows = Files.readAllLines(Path.of("..", "README.md")).stream()
        .filter(l -> ROW.matcher(l).matches()).toList();
    List<String> expected = Arrays.stream(Setting.values()).map(s -> {
      String def = s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`";
      return "| `" + s.envName() + "` | `" + s.flag() + "` | " + def + " | " + s.doc() + " |";
    }).toList();
    assertThat(rows).containsExactlyElementsOf(expected);
    for (String row : rows) {
      Matcher m = ROW.matcher(row);
      assertThat(m.matches()).isTrue();
    }
  }
}
