package io.jsora.train;

import java.io.IOException;
import java.nio.file.Path;

/** Redraws the loss curve from {@code metrics.jsonl} at each checkpoint and at the end. */
public final class LossPlotListener implements TrainListener {
  private final Path metrics;
  private final Path png;
  private final String title;

  public LossPlotListener(Path metrics, Path png, String title) {
    this.metrics = metrics;
    this.png = png;
    this.title = title;
  }

  @Override
  public void onCheckpoint(long step, Path dir) throws IOException {
    LossPlot.fromMetrics(metrics, png, title);
  }

  @Override
  public void onTrainEnd(StepMetrics last) throws IOException {
    LossPlot.fromMetrics(metrics, png, title);
  }
}
