package org.webhooks.launcher;

import org.webhooks.embedded.StackAlreadyRunningException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code ./webhooks} command. Exit codes: 0 success, 1 failure, 2 bad usage or bad input (the
 * message names the flag, field or line).
 */
@Command(name = "webhooks", mixinStandardHelpOptions = true, version = "webhooks 0.1.0",
    description = "Kafka-native webhook delivery for call events.",
    subcommands = {UpCommand.class, DemoCommand.class, PublishCommand.class, SubscriptionsCommand.class,
        ServiceCommand.FanoutStream.class, ServiceCommand.DeliveryWorker.class})
public final class Webhooks {

  /** Exit code of bad usage or bad input. */
  public static final int EXIT_USAGE = 2;
  /** Exit code of a failure. */
  public static final int EXIT_FAILURE = 1;

  /** Entry point of the launcher jar. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code (for tests and the launcher). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Webhooks());
    addSettingsToLeaves(cli);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + messageOf(e));
      if (e instanceof IllegalArgumentException) {
        return EXIT_USAGE;
      }
      if (!(e instanceof IllegalStateException) && !(e instanceof StackAlreadyRunningException)) {
        e.printStackTrace(cmd.getErr());
      }
      return EXIT_FAILURE;
    });
    return cli.execute(args);
  }

  private static String messageOf(Throwable e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static void addSettingsToLeaves(CommandLine cli) {
    CommandSpec spec = cli.getCommandSpec();
    if (cli.getSubcommands().isEmpty()) {
      SettingsOptions.addTo(spec);
      return;
    }
    cli.getSubcommands().values().forEach(Webhooks::addSettingsToLeaves);
  }
}
