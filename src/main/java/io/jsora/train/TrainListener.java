package io.jsora.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hooks a trainer calls at fixed points, so logging, metrics, plots, checkpoints and throughput
 * live in small separate classes (as DJL's training listeners). Called on the thread running the
 * loop, after the step's tensors are released; implementations must be quick or hand work off.
 */
public interface TrainListener {
  /**
   * The run about to start.
   *
   * @param startStep optimizer steps already done (non-zero after a resume)
   * @param maxSteps the step the run stops at
   * @param outputDir the run's output directory
   */
  record TrainInfo(long startStep, long maxSteps, Path outputDir) {}

  /**
   * One finished optimizer step.
   *
   * @param step optimizer steps completed, this one included (1 after the first update)
   * @param epoch the epoch the step's data came from
   * @param loss the step's mean loss (over micro-batches and ranks)
   * @param lr the learning rate the update used
   * @param gradNorm the global gradient norm before clipping
   * @param skipped whether the NaN guard skipped the update
   * @param samples training samples in the step, over all ranks
   * @param tokens latent tokens (patches) in the step, over all ranks
   * @param nanos wall time of the step
   * @param extra other scalars to log (e.g. mse and vb separately)
   */
  record StepMetrics(
      long step,
      long epoch,
      double loss,
      double lr,
      double gradNorm,
      boolean skipped,
      long samples,
      long tokens,
      long nanos,
      Map<String, Double> extra) {
    public StepMetrics {
      extra = extra == null ? Map.of() : Map.copyOf(extra);
    }
  }

  default void onTrainBegin(TrainInfo info) throws IOException {}

  default void onStep(StepMetrics metrics) throws IOException {}

  /** A checkpoint was written (after the step it holds). */
  default void onCheckpoint(long step, Path dir) throws IOException {}

  /** The run ended normally; {@code last} is null when no step ran. */
  default void onTrainEnd(StepMetrics last) throws IOException {}

  /**
   * Whether this listener wants {@link #onPhase}: phases are timed only when some listener does (on
   * CUDA that costs a device synchronisation per phase).
   */
  default boolean timesPhases() {
    return false;
  }

  /** One phase of a step took {@code nanos}; see {@link StepTimer}. */
  default void onPhase(long step, int micro, StepTimer.Phase phase, long nanos) {}

  /** Calls each listener in order. */
  static TrainListener all(List<? extends TrainListener> listeners) {
    List<TrainListener> ls = List.copyOf(listeners);
    return new TrainListener() {
      @Override
      public void onTrainBegin(TrainInfo info) throws IOException {
        for (TrainListener l : ls) {
          l.onTrainBegin(info);
        }
      }

      @Override
      public void onStep(StepMetrics m) throws IOException {
        for (TrainListener l : ls) {
          l.onStep(m);
        }
      }

      @Override
      public void onCheckpoint(long step, Path dir) throws IOException {
        for (TrainListener l : ls) {
          l.onCheckpoint(step, dir);
        }
      }

      @Override
      public void onTrainEnd(StepMetrics last) throws IOException {
        for (TrainListener l : ls) {
          l.onTrainEnd(last);
        }
      }

      @Override
      public boolean timesPhases() {
        return ls.stream().anyMatch(TrainListener::timesPhases);
      }

      @Override
      public void onPhase(long step, int micro, StepTimer.Phase phase, long nanos) {
        for (TrainListener l : ls) {
          if (l.timesPhases()) {
            l.onPhase(step, micro, phase, nanos);
          }
        }
      }
    };
  }
}
