package io.jsora.bench;

import io.jsora.nn.Trace;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.TensorTensorHook;

/**
 * Where a step's time goes, from the module spans and backward marks of {@link Trace}, timed from
 * Java (libtorch's CPU ops are synchronous, so a span's wall time is its ops' time).
 *
 * <p>Every nanosecond between {@link #start} and {@link #close} lands in exactly one row's self
 * time, so the self times add up to the wall time:
 *
 * <ul>
 *   <li>a span's self time is its time minus its children's (and minus the recorder's own
 *       bookkeeping inside it, which is the row {@code (profiler)});
 *   <li>in backward, the time from one mark (or the end of the forward) to the next is row {@code
 *       backward.<mark>}: the backward of the part between the two marks. Spans opened during
 *       backward (activation-checkpoint recomputation) are rows under {@code backward.recompute.},
 *       and are left out of the segment's self time;
 *   <li>time outside any span or segment goes to the row of the phase it falls in, {@code
 *       (<phase>)}, when {@link #phaseEnd} is called; what is left at the end is {@code (other)}.
 * </ul>
 *
 * Not thread-safe: spans and marks are recorded from the thread that started it.
 */
public final class Profile implements Trace.Recorder, AutoCloseable {
  /** Prefix of backward segments. */
  public static final String BACKWARD = "backward.";

  /** Prefix of spans opened during backward. */
  public static final String RECOMPUTE = "backward.recompute.";

  /** The recorder's own time. */
  public static final String SELF = "(profiler)";

  /** One row's sums. */
  static final class Row {
    final String path;
    final int depth;
    long calls;
    long totalNanos;
    long selfNanos;
    long outBytes;

    Row(String path, int depth) {
      this.path = path;
      this.depth = depth;
    }
  }

  private static final class Frame {
    final Row row;
    final long entered; // first clock read of enter
    final long start; // the body starts
    long inner; // children's time, their bookkeeping included

    Frame(Row row, long entered, long start) {
      this.row = row;
      this.entered = entered;
      this.start = start;
    }
  }

  private final Map<String, Row> rows = new LinkedHashMap<>();
  private final ArrayDeque<Frame> open = new ArrayDeque<>();
  private final List<TensorTensorHook> hooks = new ArrayList<>();
  private long begin;
  private long lastTop; // end of the last top-level span, segment or phase
  private long gap; // time outside spans not yet given to a phase row
  private long recompute; // top-level span time inside the current backward segment
  private boolean inBackward;
  private long wall = -1;
  private int steps;

  private Profile() {}

  /** Starts recording on the calling thread. */
  public static Profile start() {
    Profile p = new Profile();
    Trace.start(p);
    p.begin = System.nanoTime();
    p.lastTop = p.begin;
    return p;
  }

  private Row row(String path) {
    return row(path, 0);
  }

  private Row row(String path, int depth) {
    return rows.computeIfAbsent(path, k -> new Row(k, depth));
  }

  @Override
  public void enter(String name) {
    long t0 = System.nanoTime();
    Frame parent = open.peek();
    String path;
    if (parent != null) {
      path = parent.row.path + "." + name;
    } else if (inBackward) {
      path = RECOMPUTE + name;
    } else {
      path = name;
      gap += t0 - lastTop;
    }
    Row r = row(path, parent == null ? 0 : parent.row.depth + 1);
    open.push(new Frame(r, t0, System.nanoTime()));
  }

  @Override
  public void exit(long endNanos, long outBytes) {
    Frame f = open.pop();
    long total = endNanos - f.start;
    f.row.calls++;
    f.row.totalNanos += total;
    f.row.selfNanos += total - f.inner;
    f.row.outBytes += outBytes;
    Frame parent = open.peek();
    Row self = row(SELF);
    long now = System.nanoTime();
    long bookkeeping = (f.start - f.entered) + (now - endNanos);
    self.totalNanos += bookkeeping;
    self.selfNanos += bookkeeping;
    long interval = now - f.entered;
    if (parent != null) {
      parent.inner += interval;
    } else if (inBackward) {
      recompute += interval;
    } else {
      lastTop = now;
    }
  }

  @Override
  public void backward(String name) {
    long now = System.nanoTime();
    if (!inBackward) {
      flushGap("(forward)", 0);
      inBackward = true;
    }
    long total = now - lastTop;
    Row r = row(BACKWARD + name);
    r.calls++;
    r.totalNanos += total;
    r.selfNanos += total - recompute;
    recompute = 0;
    lastTop = now;
  }

  @Override
  public void keep(TensorTensorHook hook) {
    hooks.add(hook.retainReference());
  }

  /**
   * Closes a phase: the time since the last span, segment or phase that no span took goes to row
   * {@code (<phase>)}; a backward in progress ends here (its rest, e.g. the embedders' backward, is
   * that phase's).
   */
  public void phaseEnd(String phase) {
    long now = System.nanoTime();
    flushGap("(" + phase + ")", now - lastTop);
    inBackward = false;
    lastTop = now;
  }

  private void flushGap(String name, long tail) {
    long t = gap + tail;
    long self = t - recompute;
    if (t > 0 || recompute > 0) {
      Row r = row(name);
      r.calls++;
      r.totalNanos += t;
      r.selfNanos += self;
    }
    gap = 0;
    recompute = 0;
  }

  /** Counts one step (the table divides by the steps). */
  public void stepDone() {
    steps++;
  }

  /** Steps counted so far. */
  public int steps() {
    return steps;
  }

  /** Stops recording: what no row took since the last phase goes to {@code (other)}. */
  @Override
  public void close() {
    if (wall >= 0) {
      return;
    }
    Trace.stop(this);
    long now = System.nanoTime();
    if (!open.isEmpty()) {
      open.clear(); // a span left open by an exception: its time stays unattributed in (other)
    }
    flushGap("(other)", now - lastTop);
    wall = now - begin;
    for (TensorTensorHook h : hooks) {
      h.releaseReference();
    }
    hooks.clear();
  }

  /** Wall time from start to close, in nanoseconds (-1 while recording). */
  public long wallNanos() {
    return wall;
  }

  /** The rows, in first-seen order, as a table of {@code steps} steps. */
  public ProfileTable table() {
    if (wall < 0) {
      throw new IllegalStateException("close the profile before reading its table");
    }
    List<ProfileTable.Entry> out = new ArrayList<>();
    for (Row r : rows.values()) {
      out.add(
          new ProfileTable.Entry(
              r.path, r.depth, r.calls, r.totalNanos / 1e9, r.selfNanos / 1e9, r.outBytes));
    }
    return new ProfileTable(Math.max(1, steps), wall / 1e9, out);
  }
}
