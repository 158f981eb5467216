package io.jsora.train;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs one line every {@code every} steps, and every skipped step as a warning. */
public final class LoggingListener implements TrainListener {
  private static final Logger log = LoggerFactory.getLogger("io.jsora.train");

  private final int every;
  private final ThroughputListener throughput;
  private long maxSteps;

  /**
   * @param throughput read for the rates shown; may be null
   */
  public LoggingListener(int every, ThroughputListener throughput) {
    if (every < 1) {
      throw new IllegalArgumentException("log interval must be >= 1, got " + every);
    }
    this.every = every;
    this.throughput = throughput;
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    maxSteps = info.maxSteps();
    log.info(
        info.startStep() > 0 ? "resuming at step {} of {}" : "training from step {} to {}",
        info.startStep(),
        info.maxSteps());
  }

  @Override
  public void onStep(StepMetrics m) {
    if (m.skipped()) {
      log.warn(
          "step {}: loss {} / gradient norm {} is not finite; update skipped",
          m.step(),
          m.loss(),
          m.gradNorm());
      return;
    }
    if (m.step() % every == 0) {
      String rate =
          throughput == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  " | %.2f it/s, %.0f tokens/s",
                  throughput.stepsPerSecond(),
                  throughput.tokensPerSecond());
      log.info(
          String.format(
              Locale.ROOT,
              "step %d/%d loss %.4f lr %.3g grad %.3f%s",
              m.step(),
              maxSteps,
              m.loss(),
              m.lr(),
              m.gradNorm(),
              rate));
    }
  }

  @Override
  public void onCheckpoint(long step, java.nio.file.Path dir) {
    log.info("checkpoint {}", dir);
  }
}
