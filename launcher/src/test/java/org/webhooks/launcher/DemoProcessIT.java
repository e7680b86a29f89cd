package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.webhooks.schemas.EventTypes;

/**
 * The README's first command, {@code ./webhooks demo}, as a process: it starts its own stack on a
 * temporary data dir, delivers one example of each of the eight event types to its verifying receiver,
 * prints a row per event with a valid signature and the body as published, exits 0, and leaves no data
 * dir behind.
 */
class DemoProcessIT {

  /** The demo starts a broker, a registry and the services; generous for a loaded machine. */
  private static final Duration WAIT = Duration.ofMinutes(5);

  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  @Test
  void theDemoDeliversEveryExampleSignedAndAsPublishedAndCleansUp() throws Exception {
    try (LauncherProcess demo = LauncherProcess.start(logs, "demo", List.of("demo"))) {
      await().atMost(WAIT).until(() -> !demo.isAlive());

      assertThat(demo.exitCode()).as(demo.stderr()).isZero();
      String out = demo.stdout();
      for (String type : EventTypes.ALL) {
        assertThat(out).as(out).containsPattern("(?m)^" + Pattern.quote(type) + " +\\d+ +valid +as published$");
      }
      assertThat(out).contains("8 of 8 events delivered and verified");
      // its secrets key is its own, so nothing warns about one generated into a dir about to go
      assertThat(demo.stderr()).doesNotContain("WEBHOOKS_SECRETS_KEY is not set");
      Matcher dir = Pattern.compile("starting the embedded broker and registry in (\\S+) \\.\\.\\.").matcher(out);
      assertThat(dir.find()).as(out).isTrue();
      assertThat(Path.of(dir.group(1))).doesNotExist();
    }
  }
}
