package io.jsora.model.vae;

import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The identity: the DiT diffuses pixels in [-0.5, 0.5] directly (3 channels, factors 1, 1, 1). */
public final class RawCompressor implements VideoCompressor {
  private final Device device;

  /** Outputs go to {@code device} (a copy is kept; the caller still owns its argument). */
  public RawCompressor(Device device) {
    this.device = Compressors.copy(device);
  }

  @Override
  public String name() {
    return "raw";
  }

  @Override
  public int latentChannels() {
    return 3;
  }

  @Override
  public int[] factors() {
    return new int[] {1, 1, 1};
  }

  @Override
  public long[] latentShape(long frames, long height, long width) {
    Compressors.checkDivisible(name(), frames, height, width, factors());
    return new long[] {3, frames, height, width};
  }

  /**
   * Returns the video itself (float32 on this compressor's device; may share storage with the
   * input).
   */
  @Override
  public Tensor encode(Tensor video) {
    check(video, "video");
    return video.to(device, torch.ScalarType.Float);
  }

  @Override
  public Tensor decode(Tensor latent) {
    check(latent, "latent");
    return latent.to(device, torch.ScalarType.Float);
  }

  private static void check(Tensor t, String name) {
    long[] s = Shapes.of(t);
    if (s.length != 5 || s[1] != 3) {
      throw new IllegalArgumentException(
          "raw: " + name + " must be [B, 3, T, H, W], found " + Arrays.toString(s));
    }
  }

  @Override
  public void close() {
    device.close();
  }
}
