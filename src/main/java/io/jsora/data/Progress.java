package io.jsora.data;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress of a long job: the data engines report to one, the command line shows a bar. */
public interface Progress extends AutoCloseable {
  /** Advances by {@code n} units. */
  void step(long n);

  /** Sets the total (when it becomes known or changes). */
  default void max(long total) {}

  /** A short status shown beside the bar. */
  default void message(String text) {}

  @Override
  default void close() {}

  /** Reports nothing. */
  Progress NONE = n -> {};

  /**
   * A console bar on {@code out} with rate and ETA, starting at {@code done} of {@code total}; when
   * the process has no terminal, nothing (unless {@code JSORA_PROGRESS} is set).
   *
   * @param unit the unit name ("videos", "B"); byte counts use KiB/MiB scaling when {@code bytes}
   */
  static Progress console(String task, long total, long done, String unit, boolean bytes, PrintStream out) {
    if (System.console() == null && System.getenv("JSORA_PROGRESS") == null) {
      return NONE; // not a terminal (CI logs, pipes): the commands print a summary instead; JSORA_PROGRESS=1 forces the bar
    }
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out))
        .setUpdateIntervalMillis(500)
        .showSpeed();
    if (bytes) {
      b.setUnit("MiB", 1L << 20);
    } else {
      b.setUnit(" " + unit, 1);
    }
    if (done > 0) {
      b.startsFrom(done, java.time.Duration.ZERO);
    }
    ProgressBar bar = b.build();
    return new Progress() {
      @Override
      public void step(long n) {
        bar.stepBy(n);
      }

      @Override
      public void max(long t) {
        bar.maxHint(t);
      }

      @Override
      public void message(String text) {
        bar.setExtraMessage(text);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }
}
