package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.tensor.Natives;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenBLAS's thread count seen inside a {@link BlasThreads#single} body, inside its backward (from
 * a gradient hook between the output and the input) and after each.
 */
class BlasThreadsTest {
  /** OpenBLAS's thread count the probe saw in the last backward. */
  private static volatile int probed;

  /** Reads the count from inside a backward; one for the class (a JavaCPP callback lives on). */
  private static TensorTensorHook PROBE;

  @BeforeAll
  static void natives() {
    PROBE =
        new TensorTensorHook() {
          @Override
          public TensorBase call(TensorBase grad) {
            probed = openblas_nolapack.blas_get_num_threads();
            return grad;
          }
        }.retainReference();
    Natives.load();
    check(); // once before the leak check's baseline: libtorch makes a singleton on first use
  }

  /**
   * Exempt from the leak check: the probe's callback is handed one gradient handle per backward
   * that JavaCPP makes outside the test's scope (the collector frees it); the DiT tests, which run
   * the same hooks through attention, pass the check.
   */
  @Test
  @io.jsora.testing.NativeLeakCheck.Allow(
      "the probe hook is handed a gradient handle made outside the test's scope")
  void oneThreadInsideTheKernelForwardAndBackwardRestoredAfter() {
    check();
  }

  static void check() {
    int before = openblas_nolapack.blas_get_num_threads();
    int[] seen = new int[3];
    try (PointerScope scope = new PointerScope()) {
      openblas_nolapack.blas_set_num_threads(2);
      int wide = openblas_nolapack.blas_get_num_threads(); // 2, or 1 where OpenBLAS has one core
      Tensor leaf = torch.randn(4, 3).requires_grad_(true);
      Tensor x = leaf.mul(new Scalar(1.0)); // (4, 3): a non-leaf input, as q is in attention
      Tensor out =
          BlasThreads.single(
              () -> {
                seen[0] = openblas_nolapack.blas_get_num_threads();
                Tensor z = x.mul(new Scalar(3.0)); // (4, 3)
                z.register_hook(PROBE);
                return z.mul(new Scalar(2.0)); // (4, 3)
              },
              x);
      assertEquals(wide, openblas_nolapack.blas_get_num_threads(), "after the forward");
      out.sum().backward();
      seen[1] = probed;
      seen[2] = openblas_nolapack.blas_get_num_threads();
      assertEquals(1, seen[0], "inside the forward");
      assertEquals(1, seen[1], "inside the backward");
      assertEquals(wide, seen[2], "after the backward");
      assertEquals(
          6.0, leaf.grad().mean().item_double(), 1e-12, "gradients pass through the hooks");
    } finally {
      openblas_nolapack.blas_set_num_threads(before);
    }
  }
}
