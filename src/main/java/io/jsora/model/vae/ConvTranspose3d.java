package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A transposed 3D convolution with {@code nn.ConvTranspose3d}'s names: {@code weight} {@code [in,
 * out, k, k, k]} and {@code bias}.
 */
final class ConvTranspose3d extends Layer {
  final Tensor weight;
  final Tensor bias;
  private final long[] stride;
  private final long[] padding;

  ConvTranspose3d(long in, long out, long[] kernel, long[] stride, long[] padding, Device device) {
    super(device);
    this.stride = stride.clone();
    this.padding = padding.clone();
    weight = parameter("weight", in, out, kernel[0], kernel[1], kernel[2]);
    // PyTorch computes fan_in of a transposed conv from weight dim 1 (out channels)
    long fanIn = out * kernel[0] * kernel[1] * kernel[2];
    defaultInit(weight, fanIn);
    bias = parameter("bias", out);
    defaultInit(bias, fanIn);
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, T', H', W']}. */
  Tensor forward(Tensor x) {
    return torch.conv_transpose3d(
        x, weight, new TensorOptional(bias), stride, padding, new long[] {0, 0, 0}, 1, 1, 1, 1);
  }
}
