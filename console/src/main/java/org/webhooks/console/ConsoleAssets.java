package org.webhooks.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Files served as they are, read once from one folder of the classpath into memory and looked up by
 * their exact relative path. Nothing is read from the file system of the working directory and no
 * path is resolved at request time, so a request can name only a file that was packaged.
 */
final class ConsoleAssets {

  /** Largest file accepted, bytes: the console's files are small, a vendored library a few hundred KiB. */
  static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

  private static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"),
      // module scripts are refused by browsers unless served with a JavaScript MIME type
      Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"),
      Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json"),
      Map.entry("map", "application/json"),
      Map.entry("svg", "image/svg+xml"),
      Map.entry("png", "image/png"),
      Map.entry("ico", "image/x-icon"),
      Map.entry("woff2", "font/woff2"),
      Map.entry("txt", "text/plain; charset=utf-8"));

  /**
   * One file.
   *
   * @param body its bytes
   * @param contentType its media type, from its extension
   * @param etag a strong entity tag of its content ({@code "<base64url of SHA-256>"})
   */
  record Asset(byte[] body, String contentType, String etag) {}

  private final Map<String, Asset> byPath;

  private ConsoleAssets(Map<String, Asset> byPath) {
    this.byPath = Collections.unmodifiableMap(byPath);
  }

  /**
   * Reads every file under a classpath folder, whether it is a directory (classes run from a build)
   * or a folder inside a jar.
   *
   * @param loader the class loader to read from
   * @param folder the folder, e.g. {@code org/webhooks/console/web}; it must hold {@code index.html}
   *     or {@code marker}, the file by which it is found
   * @param marker a file known to be in the folder (directory entries of jars cannot be relied on)
   * @return the files, keyed by their path relative to the folder with {@code /} separators
   * @throws IllegalStateException when the marker is missing, a file has an extension without a known
   *     media type, or is larger than {@link #MAX_FILE_BYTES}
   * @throws UncheckedIOException when a file cannot be read
   */
  static ConsoleAssets load(ClassLoader loader, String folder, String marker) {
    URL found = loader.getResource(folder + "/" + marker);
    if (found == null) {
      throw new IllegalStateException(folder + "/" + marker + " is missing from the classpath");
    }
    try {
      URI uri = found.toURI();
      if ("jar".equals(uri.getScheme())) {
        FileSystem fs;
        boolean opened = false;
        try {
          fs = FileSystems.newFileSystem(uri, Map.of());
          opened = true;
        } catch (FileSystemAlreadyExistsException e) {
          fs = FileSystems.getFileSystem(uri);
        }
        try {
          return new ConsoleAssets(read(fs.provider().getPath(uri).getParent()));
        } finally {
          if (opened) {
            fs.close();
          }
        }
      }
      return new ConsoleAssets(read(Path.of(uri).getParent()));
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate " + found, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the files of " + folder, e);
    }
  }

  private static Map<String, Asset> read(Path root) throws IOException {
    Map<String, Asset> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String relative = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
        if (Files.size(file) > MAX_FILE_BYTES) {
          throw new IllegalStateException(relative + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        byte[] body = Files.readAllBytes(file);
        out.put(relative, new Asset(body, contentType(relative), etag(body)));
      }
    }
    return out;
  }

  /**
   * @param relative a path relative to the folder, {@code /}-separated, e.g. {@code js/main.js}
   * @return the file, if one was packaged at exactly that path
   */
  Optional<Asset> get(String relative) {
    return Optional.ofNullable(byPath.get(relative));
  }

  /** @return the relative paths of every file, sorted */
  java.util.Set<String> paths() {
    return byPath.keySet();
  }

  private static String contentType(String relative) {
    int dot = relative.lastIndexOf('.');
    String ext = dot < 0 ? "" : relative.substring(dot + 1).toLowerCase(Locale.ROOT);
    String type = CONTENT_TYPES.get(ext);
    if (type == null) {
      throw new IllegalStateException(relative + ": no media type known for '." + ext + "' files");
    }
    return type;
  }

  private static String etag(byte[] body) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
      return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
