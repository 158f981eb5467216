package io.jsora.model.osvae;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Upstream's {@code CausalConv3d}: a 3D convolution that sees no future frames. Before the
 * convolution (kernel {@code kt × kh × kw}, stride {@code (s, 1, 1)}, no padding of its own) the
 * input is zero-padded by {@code kt − s} frames at the front of time only and by {@code kh // 2},
 * {@code kw // 2} on both sides of height and width, so output frame {@code t} depends on input
 * frames {@code ≤ s·t}; T becomes {@code floor(T / s)} and the spatial size is kept.
 *
 * <p>State dict (upstream wraps an {@code nn.Conv3d} named {@code conv}): {@code conv.weight [out,
 * in, kt, kh, kw]}, optional {@code conv.bias [out]}.
 */
final class CausalConv3d extends io.jsora.nn.Layer {
  private final Conv conv;
  private final long timePad;
  private final long heightPad;
  private final long widthPad;

  /** A cubic kernel {@code k}, time stride {@code timeStride}. */
  CausalConv3d(long in, long out, int k, int timeStride, boolean bias, Device device) {
    super(device);
    if (k % 2 != 1 || timeStride < 1 || timeStride > k) {
      throw new IllegalArgumentException(
          "causal conv: kernel "
              + k
              + " must be odd and time stride "
              + timeStride
              + " in [1, "
              + k
              + "]");
    }
    this.timePad = k - timeStride;
    this.heightPad = k / 2;
    this.widthPad = k / 2;
    this.conv = child("conv", new Conv(in, out, k, timeStride, bias, device));
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, floor(T / s), H, W]}. */
  Tensor forward(Tensor x) {
    Tensor padded =
        torch.pad(
            x, widthPad, widthPad, heightPad, heightPad, timePad,
            0); // (B, in, T + kt − s, H + 2·(kh//2), W + 2·(kw//2))
    return conv.forward(padded); // (B, out, T/s, H, W)
  }

  /** The wrapped {@code nn.Conv3d}. */
  static final class Conv extends io.jsora.nn.Layer {
    final Tensor weight;
    final Tensor bias;
    private final long[] stride;

    Conv(long in, long out, int k, int timeStride, boolean bias, Device device) {
      super(device);
      this.stride = new long[] {timeStride, 1, 1};
      weight = parameter("weight", out, in, k, k, k);
      long fanIn = in * k * k * k;
      defaultInit(weight, fanIn);
      this.bias = bias ? parameter("bias", out) : null;
      if (bias) {
        defaultInit(this.bias, fanIn);
      }
    }

    Tensor forward(Tensor x) {
      TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
      return torch.conv3d(x, weight, b, stride, new long[] {0, 0, 0}, new long[] {1, 1, 1}, 1);
    }
  }
}
