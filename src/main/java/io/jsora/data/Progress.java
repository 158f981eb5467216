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
   * {@code drawBar} is false (no terminal to redraw a line on: logs, pipes), {@link #log} lines
   * instead.
   *
   * @param unit the unit name ("videos", "B"); byte counts use KiB/MiB scaling when {@code bytes}
   * @param drawBar whether to draw a bar; the command line decides from the terminal and its
   *     settings
   */
  static Progress console(
      String task,
      long total,
      long done,
      String unit,
      boolean bytes,
      PrintStream out,
      boolean drawBar) {
    if (!drawBar) {
      return log(task, total, done, unit, bytes); // a line every 30 s
    }
    ProgressBarBuilder b =
        new ProgressBarBuilder()
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

  /** Logs "task: done/total (p%), rate, ETA" at most every 30 s, and once at the end. */
  static Progress log(String task, long total, long done, String unit, boolean bytes) {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Progress.class);
    long start = System.nanoTime();
    return new Progress() {
      private long max = total;
      private long count = done;
      private long last = start;

      @Override
      public synchronized void step(long n) {
        count += n;
        long now = System.nanoTime();
        if (now - last > 30_000_000_000L) {
          last = now;
          report(now);
        }
      }

      @Override
      public synchronized void max(long t) {
        max = t;
      }

      @Override
      public synchronized void close() {
        if (count > done) {
          report(System.nanoTime());
        }
      }

      private void report(long now) {
        double s = (now - start) / 1e9;
        double rate = s > 0 ? (count - done) / s : 0;
        String eta = max > 0 && rate > 0 ? String.format(", ETA %.0f s", (max - count) / rate) : "";
        double scale = bytes ? 1 << 20 : 1;
        String u = bytes ? "MiB" : unit;
        log.info(
            String.format(
                "%s: %.1f/%s %s%s, %.1f %s/s%s",
                task,
                count / scale,
                max > 0 ? String.format("%.1f", max / scale) : "?",
                u,
                max > 0 ? String.format(" (%.0f%%)", 100.0 * count / max) : "",
                rate / scale,
                u,
                eta));
      }
    };
  }
}
