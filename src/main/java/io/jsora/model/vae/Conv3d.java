package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 3D convolution with PyTorch's {@code nn.Conv3d} parameter names ({@code weight} {@code [out,
 * in, k, k, k]}, optional {@code bias}) and zero padding done by the caller.
 */
final class Conv3d extends Layer {
  final Tensor weight;
  final Tensor bias;
  private final long[] stride;

  Conv3d(long in, long out, long[] kernel, long[] stride, boolean bias, Device device) {
    super(device);
    this.stride = stride.clone();
    weight = parameter("weight", out, in, kernel[0], kernel[1], kernel[2]);
    long fanIn = in * kernel[0] * kernel[1] * kernel[2];
    defaultInit(weight, fanIn);
    this.bias = bias ? parameter("bias", out) : null;
    if (bias) {
      defaultInit(this.bias, fanIn);
    }
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, T', H', W']}, no padding. */
  Tensor forward(Tensor x) {
    TensorOptional b = bias == null ? new TensorOptional() : new TensorOptional(bias);
    return torch.conv3d(x, weight, b, stride, new long[] {0, 0, 0}, new long[] {1, 1, 1}, 1);
  }
}
