package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's "same" transposed 3D convolution: pads like {@link SamePadConv3d}, then a transposed
 * convolution with padding {@code k - 1}, so each dimension is multiplied by its stride. State-dict
 * names: {@code convt.weight} {@code [in, out, k, k, k]}, {@code convt.bias}.
 */
final class SamePadConvTranspose3d extends Layer {
  private final ConvTranspose3d convt;
  private final long[] pad;

  SamePadConvTranspose3d(long in, long out, long kernel, long[] stride, Device device) {
    super(device);
    long[] k = {kernel, kernel, kernel};
    pad = SamePadConv3d.samePadding(k, stride);
    convt =
        child(
            "convt",
            new ConvTranspose3d(
                in, out, k, stride, new long[] {kernel - 1, kernel - 1, kernel - 1}, device));
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, T·s, H·s, W·s]}. */
  Tensor forward(Tensor x) {
    return convt.forward(torch.pad(x, pad));
  }
}
