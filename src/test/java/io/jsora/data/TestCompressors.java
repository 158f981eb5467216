package io.jsora.data;

import io.jsora.model.vae.VideoCompressor;
import io.jsora.tensor.DType;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** Trivial compressors for tests. */
public final class TestCompressors {
  private TestCompressors() {}

  /** The identity: latent = video, factors 1. */
  public static VideoCompressor identity() {
    return new Simple("raw", new int[] {1, 1, 1}, 3);
  }

  /** Pretend VQ-VAE with factors (1, 2, 2); see {@link #codes}. */
  public static VideoCompressor pretendVq() {
    return new Simple("vqvae", new int[] {1, 2, 2}, 4);
  }

  /**
   * Pretend code indices {@code [1, T, H/2, W/2]} int64: the 2×2 mean of the channel mean, as
   * {@code round((x + 0.5) * 1000)}. Caller owns.
   */
  public static Tensor codes(Tensor video) {
    try (PointerScope s = new PointerScope()) {
      Tensor m = video.mean(new long[] {1}); // (1, T, H, W)
      Tensor p =
          org.bytedeco.pytorch.global.torch.avg_pool3d(
              m,
              new long[] {1, 2, 2},
              new long[] {1, 2, 2},
              new long[] {0, 0, 0},
              false,
              true,
              new org.bytedeco.pytorch.LongOptional()); // (1, T, H/2, W/2)
      return p.add(new Scalar(0.5))
          .mul(new Scalar(1000.0))
          .round()
          .to(DType.I64.scalarType())
          .retainReference();
    }
  }

  private record Simple(String name, int[] factors, int latentChannels) implements VideoCompressor {
    @Override
    public long[] latentShape(long frames, long height, long width) {
      return new long[] {
        latentChannels, frames / factors[0], height / factors[1], width / factors[2]
      };
    }

    @Override
    public Tensor encode(Tensor video) {
      return video.clone();
    }

    @Override
    public Tensor decode(Tensor latent) {
      return latent.clone();
    }

    @Override
    public void close() {}
  }
}
