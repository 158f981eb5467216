package io.jsora.model.vae;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The VAE's single-head spatial self-attention (diffusers {@code Attention} as the mid blocks build
 * it): group norm, {@code to_q}/{@code to_k}/{@code to_v}, softmax over all H·W positions with
 * scale {@code 1/sqrt(C)}, {@code to_out.0}, plus the residual.
 *
 * <p>Checkpoints saved by diffusers before 0.14 (among them {@code stabilityai/sd-vae-ft-mse}) name
 * these {@code query}, {@code key}, {@code value} and {@code proj_attn}; {@link
 * AutoencoderKL#renameLegacyKeys} maps them.
 */
final class VaeAttention extends Layer {
  private final GroupNorm norm;
  private final Linear q;
  private final Linear k;
  private final Linear v;
  private final Linear out;

  VaeAttention(long channels, long groups, Device device) {
    super(device);
    norm = child("group_norm", new GroupNorm(groups, channels, 1e-6, device));
    q = child("to_q", new Linear(channels, channels, true, device));
    k = child("to_k", new Linear(channels, channels, true, device));
    v = child("to_v", new Linear(channels, channels, true, device));
    ModuleListImpl toOut = list("to_out");
    out = own(new Linear(channels, channels, true, device));
    toOut.push_back(out);
  }

  /** {@code x [N, C, H, W]} → same shape. */
  Tensor forward(Tensor x) {
    long[] s = Shapes.of(x);
    Tensor h = norm.forward(x).view(s[0], s[1], s[2] * s[3]).transpose(1, 2); // (N, HW, C)
    Tensor a =
        torch.scaled_dot_product_attention(q.forward(h), k.forward(h), v.forward(h)); // (N, HW, C)
    a = out.forward(a).transpose(1, 2).reshape(s[0], s[1], s[2], s[3]); // (N, C, H, W)
    return a.add(x);
  }
}
