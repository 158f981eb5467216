package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * diffusers' {@code ResnetBlock2D} without time embedding: {@code shortcut(x) + conv2(SiLU(norm2(
 * conv1(SiLU(norm1(x))))))}, a 1×1 {@code conv_shortcut} when channels change. Group norms use eps
 * 1e-6 as in the VAE.
 */
final class ResnetBlock2D extends Layer {
  private final GroupNorm norm1;
  private final Conv2d conv1;
  private final GroupNorm norm2;
  private final Conv2d conv2;
  private final Conv2d shortcut;

  ResnetBlock2D(long in, long out, long groups, Device device) {
    super(device);
    norm1 = child("norm1", new GroupNorm(groups, in, 1e-6, device));
    conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1, device));
    norm2 = child("norm2", new GroupNorm(groups, out, 1e-6, device));
    conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, device));
    shortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0, device)) : null;
  }

  /** {@code x [N, in, H, W]} → {@code [N, out, H, W]}. */
  Tensor forward(Tensor x) {
    Tensor h = conv1.forward(torch.silu(norm1.forward(x))); // (N, out, H, W)
    h = conv2.forward(torch.silu(norm2.forward(h))); // (N, out, H, W)
    return (shortcut == null ? x : shortcut.forward(x)).add(h);
  }
}
