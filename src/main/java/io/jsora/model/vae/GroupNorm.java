package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code nn.GroupNorm} with affine {@code weight}/{@code bias} of {@code [C]}. */
final class GroupNorm extends Layer {
  final Tensor weight;
  final Tensor bias;
  private final long groups;
  private final double eps;

  GroupNorm(long groups, long channels, double eps, Device device) {
    super(device);
    if (channels % groups != 0) {
      throw new IllegalArgumentException(
          "group norm: " + channels + " channels not divisible by " + groups + " groups");
    }
    this.groups = groups;
    this.eps = eps;
    weight = parameter("weight", channels);
    bias = parameter("bias", channels);
    fill(weight, 1.0);
    fill(bias, 0.0);
  }

  /** {@code x [N, C, *]} → same shape. */
  Tensor forward(Tensor x) {
    return torch.group_norm(
        x, groups, new TensorOptional(weight), new TensorOptional(bias), eps, true);
  }
}
