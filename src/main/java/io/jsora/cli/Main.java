package io.jsora.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: {@code jsora <command> [options]}. */
@Command(
    name = "jsora",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.Provider.class,
    description =
        "Text-to-video diffusion on the JVM: prepare video-caption data, train a diffusion transformer, generate MP4s.",
    subcommands = {
      DemoCommand.class,
      DataCommand.class,
      PreprocessCommand.class,
      TrainCommand.class,
      SampleCommand.class,
      ServeCommand.class,
      EvalSynthCommand.class,
      LaunchCommand.class,
      ModelCommand.class,
      WeightsCommand.class,
      TrainVaeCommand.class,
      EvalReconCommand.class,
      BenchCommand.class,
      DoctorCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--verbose",
      description = "Debug logging and full stack traces on errors.",
      scope = CommandLine.ScopeType.INHERIT)
  void setVerbose(boolean v) {
    Logging.setVerbose(v);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Builds the configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setUsageHelpAutoWidth(true);
    Converters.register(cl);
    return cl;
  }

  /** Runs {@code args} on {@code cl}, accepting the reference's underscore flag spellings. */
  public static int execute(CommandLine cl, String... args) {
    return cl.execute(Converters.dashedFlagNames(args));
  }

  public static void main(String[] args) {
    int code = execute(commandLine(), args);
    System.exit(code);
  }

  /**
   * Prints errors as one clear line (the whole trace with --verbose) and exits 1 (3 when another
   * rank of a distributed job failed).
   */
  static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
      PrintWriter err = cl.getErr();
      if (Logging.verbose()) {
        e.printStackTrace(err);
      }
      err.println(
          cl.getColorScheme()
              .errorText(cl.getCommandSpec().qualifiedName() + ": error: " + Errors.describe(e)));
      err.flush();
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof io.jsora.parallel.DistributedException) {
          return io.jsora.parallel.DistributedException
              .EXIT_STATUS; // stopped because another rank failed
        }
      }
      return 1;
    }
  }
}
