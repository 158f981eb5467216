package io.jsora.video;

import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Conversions between decoded frames and what the video compressors take.
 *
 * <ul>
 *   <li>frames: {@code uint8 [T, H, W, 3]} (one video) or {@code [B, T, H, W, 3]}, RGB 0..255;
 *   <li>model video: {@code float32 [B, 3, T, H, W]} with pixel {@code p} mapped to {@code p / 255
 *       - 0.5}, so values lie in {@code [-0.5, 0.5]}.
 * </ul>
 *
 * The reverse maps {@code x} to {@code round((x + 0.5) * 255)} clamped to 0..255, so {@code
 * toBytes(toModel(f)) == f} exactly.
 */
public final class Frames {
  private Frames() {}

  /**
   * {@code uint8 [T, H, W, 3]} → {@code float32 [1, 3, T, H, W]}, or {@code [B, T, H, W, 3]} →
   * {@code [B, 3, T, H, W]}; caller owns the result.
   */
  public static Tensor toModel(Tensor frames) {
    long[] s = Shapes.of(frames);
    if ((s.length != 4 && s.length != 5) || s[s.length - 1] != 3) {
      throw new IllegalArgumentException(
          "frames: expected shape [T, H, W, 3] or [B, T, H, W, 3], found " + Shapes.format(s));
    }
    if (DType.of(frames) != DType.U8) {
      throw new IllegalArgumentException("frames: expected dtype U8, found " + DType.of(frames));
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor b = s.length == 4 ? frames.unsqueeze(0) : frames; // (B, T, H, W, 3)
      Tensor x = b.permute(0, 4, 1, 2, 3).to(DType.F32.scalarType()); // (B, 3, T, H, W)
      Tensor y =
          x.div(new Scalar(255.0))
              .sub_(new Scalar(0.5))
              .contiguous(); // (B, 3, T, H, W) in [-0.5, 0.5]
      return y.retainReference();
    }
  }

  /**
   * {@code float [B, 3, T, H, W]} in {@code [-0.5, 0.5]} → {@code uint8 [B, T, H, W, 3]}, or {@code
   * [3, T, H, W]} → {@code [T, H, W, 3]}; values outside the range are clamped. Result on the CPU;
   * caller owns it.
   */
  public static Tensor toBytes(Tensor video) {
    long[] s = Shapes.of(video);
    if ((s.length != 5 && s.length != 4) || s[s.length - 4] != 3) {
      throw new IllegalArgumentException(
          "video: expected shape [B, 3, T, H, W] or [3, T, H, W], found " + Shapes.format(s));
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor b = s.length == 4 ? video.unsqueeze(0) : video; // (B, 3, T, H, W)
      Tensor p =
          b.to(DType.F32.scalarType())
              .add(new Scalar(0.5))
              .mul_(new Scalar(255.0))
              .round_()
              .clamp_(
                  new org.bytedeco.pytorch.ScalarOptional(new Scalar(0.0)),
                  new org.bytedeco.pytorch.ScalarOptional(new Scalar(255.0)));
      Tensor u =
          p.to(DType.U8.scalarType()).permute(0, 2, 3, 4, 1).cpu().contiguous(); // (B, T, H, W, 3)
      if (s.length == 4) {
        u = u.squeeze(0); // (T, H, W, 3)
      }
      return u.retainReference();
    }
  }
}
