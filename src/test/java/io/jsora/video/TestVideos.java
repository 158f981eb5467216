package io.jsora.video;

import io.jsora.tensor.DType;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Deterministic test frames built with tensor ops. */
public final class TestVideos {
  private TestVideos() {}

  /**
   * A smooth moving gradient, {@code uint8 [t, h, w, 3]}: R grows with x and time, G with y, B
   * falls with x; lossy codecs keep it within a few levels. Caller owns.
   */
  public static Tensor gradient(int t, int h, int w) {
    try (PointerScope s = new PointerScope()) {
      Tensor tt = torch.arange(new Scalar(t)).to(DType.F32.scalarType()).view(t, 1, 1); // (t,1,1)
      Tensor yy = torch.arange(new Scalar(h)).to(DType.F32.scalarType()).view(1, h, 1); // (1,h,1)
      Tensor xx = torch.arange(new Scalar(w)).to(DType.F32.scalarType()).view(1, 1, w); // (1,1,w)
      Tensor r =
          xx.mul(new Scalar(160.0 / Math.max(1, w - 1)))
              .add(tt.mul(new Scalar(8.0)))
              .add(new Scalar(30.0)); // (t,1,w)
      Tensor g =
          yy.mul(new Scalar(160.0 / Math.max(1, h - 1)))
              .add(new Scalar(40.0))
              .add(tt.mul(new Scalar(0.0))); // (t,h,1)
      Tensor b =
          xx.mul(new Scalar(-120.0 / Math.max(1, w - 1)))
              .add(new Scalar(200.0))
              .add(tt.mul(new Scalar(0.0))); // (t,1,w)
      long[] shape = {t, h, w};
      Tensor rgb =
          torch.stack(
              new org.bytedeco.pytorch.TensorVector(
                  r.expand(shape), g.expand(shape), b.expand(shape)),
              3); // (t,h,w,3)
      return rgb.round()
          .clamp(
              new org.bytedeco.pytorch.ScalarOptional(new Scalar(0.0)),
              new org.bytedeco.pytorch.ScalarOptional(new Scalar(255.0)))
          .to(DType.U8.scalarType())
          .contiguous()
          .retainReference();
    }
  }

  /**
   * Pseudo-random bytes {@code uint8 [t, h, w, 3]} from a seed (for lossless round trips). Caller
   * owns.
   */
  public static Tensor noise(int t, int h, int w, long seed) {
    try (PointerScope s = new PointerScope()) {
      org.bytedeco.pytorch.Generator gen = torch.createCPUGenerator(seed);
      Tensor x =
          torch.randint(
              0,
              256,
              new long[] {t, h, w, 3},
              new org.bytedeco.pytorch.GeneratorOptional(gen),
              new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte));
      return x.retainReference();
    }
  }

  /** Mean absolute difference between two uint8 tensors of equal shape. */
  public static double meanAbsDiff(Tensor a, Tensor b) {
    try (PointerScope s = new PointerScope()) {
      return a.to(DType.F32.scalarType())
          .sub(b.to(DType.F32.scalarType()))
          .abs()
          .mean()
          .item_double();
    }
  }

  /** Whether two tensors are equal element by element. */
  public static boolean equal(Tensor a, Tensor b) {
    try (PointerScope s = new PointerScope()) {
      return torch.equal(a, b);
    }
  }
}
