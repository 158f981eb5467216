package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A 2D convolution with {@code nn.Conv2d}'s names: {@code weight [out, in, k, k]}, {@code bias}.
 */
final class Conv2d extends Layer {
  final Tensor weight;
  final Tensor bias;
  private final long stride;
  private final long padding;

  Conv2d(long in, long out, long kernel, long stride, long padding, Device device) {
    super(device);
    this.stride = stride;
    this.padding = padding;
    weight = parameter("weight", out, in, kernel, kernel);
    bias = parameter("bias", out);
    defaultInit(weight, in * kernel * kernel);
    defaultInit(bias, in * kernel * kernel);
  }

  /** {@code x [N, in, H, W]} → {@code [N, out, H', W']}. */
  Tensor forward(Tensor x) {
    return torch.conv2d(
        x,
        weight,
        new TensorOptional(bias),
        new long[] {stride, stride},
        new long[] {padding, padding},
        new long[] {1, 1},
        1);
  }
}
