package org.webhooks.client;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The start of a response body as text for the attempt log, at most a given number of UTF-8 bytes.
 * The cut falls on a character boundary, so that the excerpt never ends in half a character; bytes
 * that are not UTF-8 become U+FFFD, and the result is trimmed again if that made it longer.
 */
final class ResponseExcerpt {

  /** Bytes of response body kept in a {@code DeliveryAttempt}. */
  public static final int MAX_BYTES = 1024;

  private ResponseExcerpt() {}

  /**
   * @param body the bytes read, of which the first {@code length} count
   * @param length how many bytes of {@code body} were read (at most {@code body.length})
   * @param maxBytes the cap, in UTF-8 bytes of the result
   * @return the excerpt, or null when nothing was read
   */
  static String of(byte[] body, int length, int maxBytes) {
    if (length <= 0) {
      return null;
    }
    int n = Math.min(length, maxBytes);
    if (n < length) {
      // body[n] is the first byte left out; if it continues a character, that character started
      // before the cut and must be left out whole.
      while (n > 0 && (body[n] & 0xC0) == 0x80) {
        n--;
      }
    }
    String text = decode(body, n);
    return trimToBytes(text, maxBytes);
  }

  private static String decode(byte[] body, int n) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(body, 0, n));
      return chars.toString();
    } catch (CharacterCodingException e) {
      // cannot happen with REPLACE; a lossy decode is the same outcome
      return new String(body, 0, n, StandardCharsets.UTF_8);
    }
  }

  private static String trimToBytes(String text, int maxBytes) {
    if (text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
      return text;
    }
    int end = text.length();
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    while (end > 0 && bytes > maxBytes) {
      int cp = text.codePointBefore(end);
      end -= Character.charCount(cp);
      bytes -= new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
    }
    return text.substring(0, end);
  }
}
