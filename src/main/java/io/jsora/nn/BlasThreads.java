package io.jsora.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

/**
 * OpenBLAS at one thread around kernels that call BLAS from inside torch's own parallel loops.
 *
 * <p>libtorch's fused CPU attention (flash attention, forward and backward) splits the work over
 * torch's OpenMP threads and calls OpenBLAS for each block's small products. With OpenBLAS's own
 * thread pool also set to the core count, every such call hands the cores back and forth between
 * the two pools: on 2 cores, one 2,048-token self-attention took 6.5 s forward instead of 0.08 s.
 * The large matrix products elsewhere need OpenBLAS's threads (one thread made DiT-S/8 steps 1.6×
 * slower), so the count is lowered only while such a kernel runs:
 *
 * <pre>
 *   Tensor o = BlasThreads.single(() -> sdpa(q, k, v), q, k, v);
 *   // forward: OpenBLAS at 1 thread during the call, restored after it
 *   // backward: set to 1 when o's gradient arrives (before the kernel's backward),
 *   //           restored when q's gradient leaves it
 * </pre>
 *
 * The count is process-wide (OpenBLAS has one pool); with one OpenBLAS thread configured nothing
 * changes.
 */
public final class BlasThreads {
  private BlasThreads() {}

  /** OpenBLAS's thread count outside the marked kernels (the configured count). */
  private static volatile int wide = 0;

  /**
   * Runs before the kernel's backward. The hooks are static and hold one extra reference, so
   * neither the collector nor the scope that first touched this class frees their callbacks.
   */
  private static final TensorTensorHook NARROW =
      new TensorTensorHook() {
        @Override
        public TensorBase call(TensorBase grad) {
          narrow();
          return grad;
        }
      }.retainReference();

  /** Runs once the kernel's backward has produced the input's gradient. */
  private static final TensorTensorHook RESTORE =
      new TensorTensorHook() {
        @Override
        public TensorBase call(TensorBase grad) {
          restore();
          return grad;
        }
      }.retainReference();

  /**
   * {@code body}'s tensor, computed with OpenBLAS at one thread; with grad enabled the same holds
   * for its backward, from the arrival of the output's gradient to that of {@code input}'s.
   *
   * @param input a tensor {@code body} reads whose gradient the kernel's backward produces
   */
  public static Tensor single(java.util.function.Supplier<Tensor> body, Tensor input) {
    narrow();
    Tensor out;
    try {
      out = body.get();
    } finally {
      restore();
    }
    if (GradMode.is_enabled() && out.requires_grad() && input.requires_grad()) {
      out.register_hook(NARROW);
      input.register_hook(RESTORE);
    }
    return out;
  }

  /**
   * Makes the two process-lifetime gradient hooks now and runs them once (JavaCPP sets up the
   * callback path on the first call), e.g. before a native-pointer count is taken as a baseline.
   */
  public static void prepare() {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = torch.zeros(1).requires_grad_(true);
      single(() -> x.mul(new Scalar(1.0)), x).sum().backward(); // (1)
    }
  }

  private static void narrow() {
    int n = openblas_nolapack.blas_get_num_threads();
    if (n > 1) {
      wide = n;
      openblas_nolapack.blas_set_num_threads(1);
    }
  }

  private static void restore() {
    int n = wide;
    if (n > 1 && openblas_nolapack.blas_get_num_threads() == 1) {
      openblas_nolapack.blas_set_num_threads(n);
    }
  }
}
