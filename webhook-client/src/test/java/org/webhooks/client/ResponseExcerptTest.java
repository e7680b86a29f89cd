package org.webhooks.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResponseExcerptTest {

  @Test
  void shortBodiesAreKeptWhole() {
    byte[] b = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
    assertThat(ResponseExcerpt.of(b, b.length, 1024)).isEqualTo("{\"ok\":true}");
  }

  @Test
  void nothingReadIsNoExcerpt() {
    assertThat(ResponseExcerpt.of(new byte[4], 0, 1024)).isNull();
  }

  @Test
  void theCutNeverSplitsACharacter() {
    // "€" is three bytes; a cap of 4 bytes after "a" would otherwise keep a half of the second one
    byte[] b = "a€€".getBytes(StandardCharsets.UTF_8);
    assertThat(ResponseExcerpt.of(b, b.length, 4)).isEqualTo("a€");
    assertThat(ResponseExcerpt.of(b, b.length, 6)).isEqualTo("a€");
    assertThat(ResponseExcerpt.of(b, b.length, 7)).isEqualTo("a€€");
    byte[] emoji = "😀😀".getBytes(StandardCharsets.UTF_8);
    assertThat(ResponseExcerpt.of(emoji, emoji.length, 7)).isEqualTo("😀");
  }

  @Test
  void bytesThatAreNotUtf8StayWithinTheCapAfterReplacement() {
    byte[] b = new byte[10];
    Arrays.fill(b, (byte) 0xFF);
    String excerpt = ResponseExcerpt.of(b, b.length, 8);
    assertThat(excerpt.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(8);
    assertThat(excerpt).isNotEmpty().matches("\uFFFD+");
  }
}
