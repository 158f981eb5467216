package io.jsora.cli;

import io.jsora.parallel.Launcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jsora launch}: runs a jsora command in several worker processes, as torchrun does. */
@Command(
    name = "launch",
    mixinStandardHelpOptions = true,
    description = {
      "Start N worker processes on this node running a jsora command (e.g. train) with torchrun's environment "
          + "(RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT). Put -- before the command.",
      "Worker output is prefixed [rank N]; SIGINT/SIGTERM are forwarded; if a worker fails, the others are stopped "
          + "and the launcher exits with the failed worker's status.",
      "Example: jsora launch --nproc-per-node 2 -- train --config cfg.yaml",
      "Several nodes: run it on each with --nnodes M --node-rank R --master-addr HOST0 --master-port P."
    })
public final class LaunchCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--nproc-per-node",
      defaultValue = "1",
      description = "Worker processes on this node (one per GPU). Default: ${DEFAULT-VALUE}.")
  int nprocPerNode;

  @Option(
      names = "--nnodes",
      defaultValue = "1",
      description = "Number of nodes in the job. Default: ${DEFAULT-VALUE}.")
  int nnodes;

  @Option(
      names = "--node-rank",
      defaultValue = "0",
      description = "This node's index, 0..nnodes-1. Default: ${DEFAULT-VALUE}.")
  int nodeRank;

  @Option(
      names = "--master-addr",
      defaultValue = "127.0.0.1",
      description =
          "Host of node 0, where rank 0 serves the rendezvous store. Default: ${DEFAULT-VALUE}.")
  String masterAddr;

  @Option(
      names = "--master-port",
      defaultValue = "0",
      description =
          "Rendezvous port. Default: a free port on a single node; required with --nnodes > 1.")
  int masterPort;

  @Option(
      names = "--grace-period",
      defaultValue = "10",
      description =
          "Seconds workers get to stop after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.")
  int graceSeconds;

  @Option(
      names = "--main-class",
      defaultValue = "io.jsora.cli.Main",
      description =
          "Main class each worker runs (with jsora's class path). Default: ${DEFAULT-VALUE}.")
  String mainClass;

  @Parameters(
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments, after --.")
  List<String> command;

  @Override
  public Integer call() throws Exception {
    Launcher.Spec s =
        new Launcher.Spec(
            nprocPerNode,
            nnodes,
            nodeRank,
            masterAddr,
            masterPort,
            mainClass,
            command,
            Duration.ofSeconds(graceSeconds),
            Map.of());
    return new Launcher(s, spec.commandLine().getOut(), spec.commandLine().getErr()).run();
  }
}
