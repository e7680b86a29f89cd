package org.webhooks.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's block of control plane examples, as commands a shell would run: lines joined at a
 * trailing backslash, comments and blank lines dropped, each command split into words with the
 * shell's quoting ({@code '...'} literal, {@code "..."} with {@code $VAR} expanded, {@code $VAR} bare).
 */
final class ReadmeApiExamples {

  private static final Pattern VAR = Pattern.compile("\\$\\{?([A-Z_]+)\\}?");

  /**
   * One curl command.
   *
   * @param method -X, or GET
   * @param url the URL, variables expanded
   * @param headers -H values, name to value
   * @param body -d, or null
   */
  record Curl(String method, String url, Map<String, String> headers, String body) {}

  private ReadmeApiExamples() {}

  /** @return the logical lines of the first bash block after the heading, comments dropped. */
  static List<String> lines(Path readme, String heading) throws Exception {
    String text = Files.readString(readme);
    int at = text.indexOf("\n" + heading + "\n");
    int start = text.indexOf("```bash\n", at) + "```bash\n".length();
    int end = text.indexOf("```", start);
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.substring(start, end).split("\n")) {
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String logical = current.toString().trim();
      current.setLength(0);
      if (!logical.isEmpty() && !logical.startsWith("#")) {
        out.add(logical);
      }
    }
    return out;
  }

  /** @return the words of a command, with the shell's quoting and {@code vars} expanded. */
  static List<String> words(String line, Map<String, String> vars) {
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        int close = line.indexOf('\'', i + 1);
        w.append(line, i + 1, close);
        i = close;
        inWord = true;
      } else if (c == '"') {
        int close = line.indexOf('"', i + 1);
        w.append(expand(line.substring(i + 1, close), vars));
        i = close;
        inWord = true;
      } else if (c == ' ') {
        if (inWord) {
          words.add(w.toString());
          w.setLength(0);
          inWord = false;
        }
      } else if (c == '$') {
        Matcher m = VAR.matcher(line).region(i, line.length());
        if (!m.lookingAt()) {
          throw new IllegalArgumentException("cannot read " + line.substring(i));
        }
        w.append(value(vars, m.group(1)));
        i = m.end() - 1;
        inWord = true;
      } else {
        w.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(w.toString());
    }
    return words;
  }

  /** @return the curl command these words make */
  static Curl curl(List<String> words) {
    String method = "GET";
    String url = null;
    String body = null;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      switch (w) {
        case "-s" -> { }
        case "-X" -> method = words.get(++i);
        case "-H" -> {
          String h = words.get(++i);
          headers.put(h.substring(0, h.indexOf(':')).trim(), h.substring(h.indexOf(':') + 1).trim());
        }
        case "-d" -> body = words.get(++i);
        default -> {
          if (w.startsWith("-")) {
            throw new IllegalArgumentException("curl option " + w + " is not understood by this check");
          }
          url = w;
        }
      }
    }
    if (body != null && method.equals("GET")) {
      method = "POST";
    }
    return new Curl(method, url, headers, body);
  }

  private static String expand(String text, Map<String, String> vars) {
    Matcher m = VAR.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(value(vars, m.group(1))));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String value(Map<String, String> vars, String name) {
    String v = vars.get(name);
    if (v == null) {
      throw new IllegalArgumentException("$" + name + " is used before it is set");
    }
    return v;
  }
}
