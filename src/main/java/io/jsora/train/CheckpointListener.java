package io.jsora.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Saves every {@code interval} optimizer steps through the trainer's save action (which knows the
 * model, EMA, optimizer and state), then tells the other listeners through {@code onSaved}.
 */
public final class CheckpointListener implements TrainListener {
  /** Writes a checkpoint for the given step and returns its directory. */
  @FunctionalInterface
  public interface SaveAction {
    Path save(long step) throws IOException;
  }

  private final long interval;
  private final SaveAction action;
  private final TrainListener onSaved;

  /**
   * @param interval steps between saves (0: only the trainer's final save)
   * @param onSaved told of each checkpoint (e.g. the loss plot); may be null
   */
  public CheckpointListener(long interval, SaveAction action, TrainListener onSaved) {
    if (interval < 0) {
      throw new IllegalArgumentException("save interval must be >= 0, got " + interval);
    }
    this.interval = interval;
    this.action = action;
    this.onSaved = onSaved;
  }

  @Override
  public void onStep(StepMetrics m) throws IOException {
    if (interval > 0 && m.step() % interval == 0) {
      Path dir = action.save(m.step());
      if (onSaved != null) {
        onSaved.onCheckpoint(m.step(), dir);
      }
    }
  }
}
