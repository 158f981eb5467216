package io.jsora.model.vae;

import io.jsora.tensor.Tensors;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Synthetic clips of coloured squares and discs moving in straight lines over a flat background,
 * bouncing off the borders; clip {@code i} depends only on (seed, i). For training and measuring
 * compressors without video files.
 */
public final class MovingShapes implements VideoClips {
  private final int count;
  private final int frames;
  private final int height;
  private final int width;
  private final long seed;

  public MovingShapes(int count, int frames, int height, int width, long seed) {
    if (count < 1 || frames < 1 || height < 4 || width < 4) {
      throw new IllegalArgumentException(
          "moving shapes: need count, frames >= 1 and frames of at least 4x4, got "
              + count
              + " clips of "
              + frames
              + "x"
              + height
              + "x"
              + width);
    }
    this.count = count;
    this.frames = frames;
    this.height = height;
    this.width = width;
    this.seed = seed;
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public String name(int index) {
    return "shapes-" + index;
  }

  @Override
  public Tensor clip(int index) {
    Random r = new Random(io.jsora.tensor.Seeds.mix(seed, index));
    try (PointerScope s = new PointerScope()) {
      TensorOptions f32 = new TensorOptions(torch.ScalarType.Float);
      Tensor ys = torch.arange(new Scalar(height), f32).view(1, height, 1); // (1, H, 1)
      Tensor xs = torch.arange(new Scalar(width), f32).view(1, 1, width); // (1, 1, W)
      Tensor ts = torch.arange(new Scalar(frames), f32); // (T)
      Tensor video =
          Tensors.of(color(r), 3, 1, 1, 1)
              .mul(new Scalar(0.5))
              .expand(3, frames, height, width)
              .clone(); // dim background
      int shapes = 1 + r.nextInt(2);
      for (int k = 0; k < shapes; k++) {
        double size = Math.max(2, Math.min(height, width) * (0.15 + 0.2 * r.nextDouble()));
        double cy = size / 2 + r.nextDouble() * (height - size);
        double cx = size / 2 + r.nextDouble() * (width - size);
        double speed = Math.min(height, width) * (0.03 + 0.05 * r.nextDouble());
        double angle = r.nextDouble() * 2 * Math.PI;
        Tensor py =
            bounce(
                    ts.mul(new Scalar(speed * Math.sin(angle))).add(new Scalar(cy - size / 2)),
                    height - size)
                .add(new Scalar(size / 2))
                .view(frames, 1, 1); // (T, 1, 1) centre row
        Tensor px =
            bounce(
                    ts.mul(new Scalar(speed * Math.cos(angle))).add(new Scalar(cx - size / 2)),
                    width - size)
                .add(new Scalar(size / 2))
                .view(frames, 1, 1);
        Tensor dy = ys.sub(py).abs(); // (T, H, 1)
        Tensor dx = xs.sub(px).abs(); // (T, 1, W)
        Tensor mask =
            r.nextBoolean()
                ? dy.le(new Scalar(size / 2)).logical_and(dx.le(new Scalar(size / 2))) // square
                : dy.pow(new Scalar(2.0))
                    .add(dx.pow(new Scalar(2.0)))
                    .le(new Scalar(size * size / 4)); // disc
        Tensor m = mask.to(torch.ScalarType.Float).unsqueeze(0); // (1, T, H, W)
        Tensor c = Tensors.of(color(r), 3, 1, 1, 1);
        video = video.mul(m.neg().add(new Scalar(1.0))).add(c.mul(m));
      }
      return io.jsora.tensor.Scopes.keep(
          video.sub(new Scalar(0.5)).unsqueeze(0).contiguous()); // (1, 3, T, H, W)
    }
  }

  /** Reflects positions into [0, span] (a triangle wave). */
  private static Tensor bounce(Tensor p, double span) {
    if (span <= 0) {
      return p.mul(new Scalar(0.0));
    }
    Tensor q = p.remainder(new Scalar(2 * span)); // [0, 2·span)
    return q.sub(new Scalar(span)).abs().neg().add(new Scalar(span));
  }

  private static float[] color(Random r) {
    return new float[] {
      0.15f + 0.85f * r.nextFloat(), 0.15f + 0.85f * r.nextFloat(), 0.15f + 0.85f * r.nextFloat()
    };
  }
}
