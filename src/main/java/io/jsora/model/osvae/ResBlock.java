package io.jsora.model.osvae;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * The temporal VAE's residual block (MAGVIT style): {@code conv2(act(norm2(conv1(act(norm1(x))))))
 * + shortcut(x)}, every conv causal 3³ without bias; {@code shortcut} is the identity, or {@code
 * conv3} (1³, no bias) when the width changes.
 *
 * <p>State dict: {@code norm1}, {@code conv1.conv.weight}, {@code norm2}, {@code
 * conv2.conv.weight}, and {@code conv3.conv.weight} when {@code in ≠ out}.
 */
final class ResBlock extends io.jsora.nn.Layer {
  private final GroupNorm norm1;
  private final CausalConv3d conv1;
  private final GroupNorm norm2;
  private final CausalConv3d conv2;
  private final CausalConv3d conv3;
  private final Activation act;

  ResBlock(long in, long out, int groups, Activation act, Device device) {
    super(device);
    this.act = act;
    norm1 = child("norm1", new GroupNorm(groups, in, device));
    conv1 = child("conv1", new CausalConv3d(in, out, 3, 1, false, device));
    norm2 = child("norm2", new GroupNorm(groups, out, device));
    conv2 = child("conv2", new CausalConv3d(out, out, 3, 1, false, device));
    conv3 = in != out ? child("conv3", new CausalConv3d(in, out, 1, 1, false, device)) : null;
  }

  /** {@code x [B, in, T, H, W]} → {@code [B, out, T, H, W]}. */
  Tensor forward(Tensor x) {
    Tensor h = conv1.forward(act.apply(norm1.forward(x))); // (B, out, T, H, W)
    h = conv2.forward(act.apply(norm2.forward(h))); // (B, out, T, H, W)
    return h.add(conv3 == null ? x : conv3.forward(x)); // (B, out, T, H, W)
  }
}
