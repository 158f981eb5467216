package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's "same" 3D convolution: the input is zero-padded by {@code k - s} per dimension (the
 * odd element on the left), then convolved without padding, so a dimension divisible by the stride
 * {@code s} comes out divided by it. State-dict names: {@code conv.weight}, {@code conv.bias}.
 */
final class SamePadConv3d extends Layer {
  private final Conv3d conv;
  private final long[] pad;

  SamePadConv3d(long in, long out, long kernel, long[] stride, boolean bias, Device device) {
    super(device);
    long[] k = {kernel, kernel, kernel};
    pad = samePadding(k, stride);
    conv = child("conv", new Conv3d(in, out, k, stride, bias, device));
  }

  SamePadConv3d(long in, long out, long kernel, Device device) {
    this(in, out, kernel, new long[] {1, 1, 1}, true, device);
  }

  /**
   * The {@code F.pad} argument for kernel {@code k} and stride {@code s}: pairs (left, right) from
   * the last dimension (W) to the first (T), {@code left = p/2 + p%2}, {@code right = p/2}.
   */
  static long[] samePadding(long[] k, long[] s) {
    long[] pad = new long[6];
    for (int d = 0; d < 3; d++) {
      long p = k[2 - d] - s[2 - d];
      pad[2 * d] = p / 2 + p % 2;
      pad[2 * d + 1] = p / 2;
    }
    return pad;
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, T/s, H/s, W/s]}. */
  Tensor forward(Tensor x) {
    return conv.forward(torch.pad(x, pad));
  }
}
