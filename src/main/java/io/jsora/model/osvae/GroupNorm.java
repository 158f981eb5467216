package io.jsora.model.osvae;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code nn.GroupNorm(groups, C)} with PyTorch's defaults (eps 1e-5, affine {@code weight}/{@code
 * bias [C]}).
 */
final class GroupNorm extends io.jsora.nn.Layer {
  static final double EPS = 1e-5;

  private final Tensor weight;
  private final Tensor bias;
  private final long groups;

  GroupNorm(long groups, long channels, Device device) {
    super(device);
    if (channels % groups != 0) {
      throw new IllegalArgumentException(
          "group norm: " + channels + " channels not divisible by " + groups + " groups");
    }
    this.groups = groups;
    weight = parameter("weight", channels);
    bias = parameter("bias", channels);
    fill(weight, 1.0);
  }

  /** {@code x [B, C, *]} → same shape. */
  Tensor forward(Tensor x) {
    return torch.group_norm(
        x, groups, new TensorOptional(weight), new TensorOptional(bias), EPS, true);
  }
}
