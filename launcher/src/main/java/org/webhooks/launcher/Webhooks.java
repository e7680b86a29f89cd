package org.webhooks.launcher;

import java.io.PrintWriter;
import org.webhooks.embedded.StackAlreadyRunningException;
import org.webhooks.schemas.SchemaRegistryClient;
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
        DeadLettersCommand.class, ApiKeysCommand.class, TopicsCommand.class, SimulateCommand.class,
        ServiceCommand.FanoutStream.class, ServiceCommand.DeliveryWorker.class, ServiceCommand.RetryScheduler.class,
        ServiceCommand.DeliveryStats.class, ServiceCommand.ControlPlane.class, AttemptsCommand.class,
        BenchCommand.class})
public final class Webhooks {

  /** Exit code of bad usage or bad input. */
  public static final int EXIT_USAGE = 2;
  /** Exit code of a failure. */
  public static final int EXIT_FAILURE = 1;

  /** Entry point of the launcher jar. */
  public static void main(String[] args) {
    // Named apart from log4j2.xml so that no dependency's own log4j2.xml can take its place in the jar.
    System.setProperty("log4j2.configurationFile", "classpath:webhooks-log4j2.xml");
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /**
   * Runs one command line with its output and errors sent to the given writers.
   *
   * @return the exit code: 0 success, 1 failure, 2 bad usage or bad input
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Webhooks());
    cli.setOut(out);
    cli.setErr(err);
    addSettingsToLeaves(cli);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + messageOf(e));
      if (e instanceof IllegalArgumentException) {
        return EXIT_USAGE;
      }
      if (!isExpected(e)) {
        e.printStackTrace(cmd.getErr());
      }
      return EXIT_FAILURE;
    });
    return cli.execute(args);
  }

  /**
   * @return true for a failure whose message says all a user can act on (no stack, a registry that
   *     cannot be reached); any other exception is a fault of the program, shown with its stack trace
   */
  private static boolean isExpected(Exception e) {
    return e instanceof IllegalStateException || e instanceof StackAlreadyRunningException
        || e instanceof SchemaRegistryClient.RegistryException;
  }

  private static String messageOf(Throwable e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static void addSettingsToLeaves(CommandLine cli) {
    CommandSpec spec = cli.getCommandSpec();
    if (cli.getSubcommands().isEmpty()) {
      String name = spec.qualifiedName(" ");
      SettingsOptions.addTo(spec, CommandSettings.of(name.substring(name.indexOf(' ') + 1)));
      return;
    }
    cli.getSubcommands().values().forEach(Webhooks::addSettingsToLeaves);
  }
}
