package org.webhooks.launcher;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.JsonLinesPublisher;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code publish --file F}: JSON lines of events to call-events; bad lines (and events larger than
 * {@code WEBHOOKS_MAX_EVENT_BYTES}) reported in line order and skipped.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Publish call events from a JSON-lines file (envelope + account_id per line).")
final class PublishCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--file", required = true, description = "JSON-lines file; - reads standard input.")
  String file;

  @Override
  public Integer call() throws Exception {
    WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
    BufferedReader in;
    if (file.equals("-")) {
      in = new BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
    } else {
      Path path = Path.of(file);
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new IllegalArgumentException("--file: " + file + " is not a readable file");
      }
      in = Files.newBufferedReader(path, StandardCharsets.UTF_8);
    }
    JsonLinesPublisher.Result result;
    try (in; CallEventPublisher publisher = new CallEventPublisher(config)) {
      result = new JsonLinesPublisher(publisher, Clock.systemUTC(), config.maxEventBytes()).publish(in);
    }
    result.errors().forEach(spec.commandLine().getErr()::println);
    spec.commandLine().getOut().println("published " + result.published() + " event(s), skipped "
        + result.errors().size());
    return result.errors().isEmpty() ? 0 : Webhooks.EXIT_USAGE;
  }
}
