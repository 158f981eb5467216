package io.jsora.nn;

import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;

/**
 * Named spans of a forward pass and marks in its backward pass, reported to a {@link Recorder} when
 * one is started on the calling thread (the profiler of {@code jsora bench --profile}).
 *
 * <pre>
 *   Tensor y = Trace.of("mlp", () -> mlp.forward(h)); // a span: time, calls, bytes of y
 *   Tensor in = Trace.mark("blocks.3", h);              // backward: fires when dL/dh is complete
 * </pre>
 *
 * <p>With no recorder, {@link #of} only runs its body and {@link #mark} returns its argument: one
 * volatile read per call. Spans nest: a span opened inside another is its child. A mark is a view
 * of its tensor with a gradient hook, added to the graph only while recording; it tells the
 * recorder that the gradient of everything consumed after the mark is done, so the time between two
 * marks is the backward of what lies between them.
 */
public final class Trace {
  private Trace() {}

  /** Receives the spans and marks of the thread it was started on. */
  public interface Recorder {
    /** A span {@code name} opens (nested in the innermost open span, if any). */
    void enter(String name);

    /**
     * The innermost open span closes.
     *
     * @param endNanos {@link System#nanoTime} when its body returned
     * @param outBytes bytes of the tensors it returned
     */
    void exit(long endNanos, long outBytes);

    /** The gradient at mark {@code name} is complete (called during backward). */
    void backward(String name);

    /** Keeps {@code hook} alive (and referenced) until the recorder is done. */
    void keep(TensorTensorHook hook);
  }

  private static volatile Recorder recorder;
  private static volatile Thread owner;

  /** Starts {@code r} on the calling thread; only one recorder at a time. */
  public static synchronized void start(Recorder r) {
    if (recorder != null) {
      throw new IllegalStateException(
          "a trace recorder is already running on thread " + owner.getName());
    }
    owner = Thread.currentThread();
    recorder = r;
  }

  /** Stops {@code r} if it is the running recorder. */
  public static synchronized void stop(Recorder r) {
    if (recorder == r) {
      recorder = null;
      owner = null;
    }
  }

  private static Recorder active() {
    Recorder r = recorder;
    return r != null && owner == Thread.currentThread() ? r : null;
  }

  /** Runs {@code body} as span {@code name}; returns its tensor. */
  public static Tensor of(String name, Supplier<Tensor> body) {
    Recorder r = active();
    if (r == null) {
      return body.get();
    }
    r.enter(name);
    Tensor out;
    try {
      out = body.get();
    } catch (RuntimeException | Error e) {
      r.exit(System.nanoTime(), 0);
      throw e;
    }
    long end = System.nanoTime();
    r.exit(end, bytes(out));
    return out;
  }

  /** {@code f.apply(x)} as span {@code name}. */
  public static Tensor apply(String name, UnaryOperator<Tensor> f, Tensor x) {
    return active() == null ? f.apply(x) : of(name, () -> f.apply(x));
  }

  /** Runs {@code body} as span {@code name}; returns its tensors. */
  public static Tensor[] all(String name, Supplier<Tensor[]> body) {
    Recorder r = active();
    if (r == null) {
      return body.get();
    }
    r.enter(name);
    Tensor[] out;
    try {
      out = body.get();
    } catch (RuntimeException | Error e) {
      r.exit(System.nanoTime(), 0);
      throw e;
    }
    long end = System.nanoTime();
    long n = 0;
    for (Tensor t : out) {
      n += bytes(t);
    }
    r.exit(end, n);
    return out;
  }

  /**
   * {@code t}, or while recording with grad enabled a view of it whose gradient hook reports mark
   * {@code name} to the recorder.
   */
  public static Tensor mark(String name, Tensor t) {
    Recorder r = active();
    if (r == null || t == null || !GradMode.is_enabled() || !t.requires_grad()) {
      return t;
    }
    TensorTensorHook hook =
        new TensorTensorHook() {
          @Override
          public TensorBase call(TensorBase grad) {
            r.backward(name);
            return grad;
          }
        };
    r.keep(hook);
    Tensor v = t.view_as(t);
    v.register_hook(hook);
    return v;
  }

  private static long bytes(Tensor t) {
    return t == null || !t.defined() ? 0 : t.numel() * t.element_size();
  }
}
