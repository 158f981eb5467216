package io.jsora.cli;

import io.jsora.data.Progress;
import io.jsora.train.TrainListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows training progress: a bar with loss, learning rate, steps/s, tokens/s and ETA on a terminal;
 * a log line every {@code every} steps elsewhere (CI logs, pipes, files).
 */
final class ProgressListener implements TrainListener {
  private final String task;
  private final PrintWriter out;
  private final int every;
  private Progress bar = Progress.NONE;
  private boolean terminal;
  private long maxSteps;
  private double lossAvg = Double.NaN;
  private double secondsPerStep = Double.NaN;
  private double tokensPerSecond = Double.NaN;

  ProgressListener(String task, PrintWriter out, int every) {
    this.task = task;
    this.out = out;
    this.every = every;
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    maxSteps = info.maxSteps();
    bar =
        Progress.console(
            task,
            info.maxSteps(),
            info.startStep(),
            "steps",
            false,
            System.err,
            Environment.progressBar());
    terminal = bar != Progress.NONE;
  }

  @Override
  public void onStep(StepMetrics m) {
    double s = m.nanos() / 1e9;
    lossAvg = Double.isNaN(lossAvg) ? m.loss() : 0.9 * lossAvg + 0.1 * m.loss();
    secondsPerStep = Double.isNaN(secondsPerStep) ? s : 0.9 * secondsPerStep + 0.1 * s;
    double tps = m.tokens() / Math.max(s, 1e-9);
    tokensPerSecond = Double.isNaN(tokensPerSecond) ? tps : 0.9 * tokensPerSecond + 0.1 * tps;
    String text =
        String.format(
            Locale.ROOT,
            "loss %.4f lr %.2e %.2f it/s %.0f tok/s%s",
            lossAvg,
            m.lr(),
            1 / secondsPerStep,
            tokensPerSecond,
            m.skipped() ? " (step skipped: NaN/inf)" : "");
    if (terminal) {
      bar.message(text);
      bar.step(1);
    } else if (m.step() % every == 0 || m.step() == maxSteps) {
      double eta = (maxSteps - m.step()) * secondsPerStep;
      out.printf(
          Locale.ROOT, "%s step %d/%d %s, ETA %s%n", task, m.step(), maxSteps, text, eta(eta));
      out.flush();
    }
  }

  @Override
  public void onCheckpoint(long step, java.nio.file.Path dir) {
    if (!terminal) {
      out.printf(Locale.ROOT, "%s step %d: saved %s%n", task, step, dir);
      out.flush();
    }
  }

  @Override
  public void onTrainEnd(StepMetrics last) {
    bar.close();
  }

  static String eta(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
