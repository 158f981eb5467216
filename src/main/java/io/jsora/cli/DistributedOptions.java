package io.jsora.cli;

import io.jsora.parallel.ParallelOptions;
import io.jsora.parallel.SpMode;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The distributed-training options, as a picocli mixin for commands that train ({@code @Mixin
 * DistributedOptions dist;}). The process layout itself comes from the environment ({@code jsora
 * launch}, torchrun, SLURM).
 */
public final class DistributedOptions {
  @Option(
      names = "--sp-size",
      defaultValue = "1",
      description =
          "Sequence-parallel group size: each sample's tokens are split over this many ranks. Default: ${DEFAULT-VALUE}.")
  public int spSize;

  @Option(
      names = "--sp-mode",
      defaultValue = "ULYSSES",
      description =
          "Sequence-parallel attention: ${COMPLETION-CANDIDATES} (any case). Default: ${DEFAULT-VALUE}.")
  public SpMode spMode;

  @Option(
      names = "--zero",
      defaultValue = "0",
      description =
          "ZeRO stage: 0 (optimizer state on every rank) or 2 (optimizer state and gradients sharded). Default: ${DEFAULT-VALUE}.")
  public int zero;

  @Option(
      names = "--dist-timeout",
      defaultValue = "120",
      description =
          "Seconds a collective may wait for the other ranks before the job stops with an error naming the rank at fault. Default: ${DEFAULT-VALUE}.")
  public double distTimeoutSeconds;

  /** The process-group options these flags describe. */
  public ParallelOptions toOptions() {
    if (zero != 0 && zero != 2) {
      throw new IllegalArgumentException("--zero must be 0 or 2, found " + zero);
    }
    Duration t = Duration.ofMillis(Math.round(distTimeoutSeconds * 1000));
    return ParallelOptions.defaults().withSpSize(spSize).withTimeout(t);
  }
}
