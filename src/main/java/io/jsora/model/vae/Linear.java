package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code nn.Linear}: {@code weight [out, in]}, optional {@code bias [out]}. */
final class Linear extends Layer {
  final Tensor weight;
  final Tensor bias;

  Linear(long in, long out, boolean bias, Device device) {
    super(device);
    weight = parameter("weight", out, in);
    defaultInit(weight, in);
    this.bias = bias ? parameter("bias", out) : null;
    if (bias) {
      defaultInit(this.bias, in);
    }
  }

  /** {@code x [..., in]} → {@code [..., out]}. */
  Tensor forward(Tensor x) {
    return bias == null
        ? torch.linear(x, weight)
        : torch.linear(x, weight, new TensorOptional(bias));
  }
}
