package io.jsora.model.osvae;

import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;

/**
 * The temporal VAE's decoder, the encoder run backwards: {@code conv1} (causal 3³, bias) from
 * {@code latent_embed_dim} to the last level's width, {@code res_blocks}, then for levels {@code i
 * = L−1 … 0} {@code block_res_blocks.i.*} followed, for {@code i > 0}, by {@code
 * conv_blocks.(i−1)}: where {@code temporal_downsample[i−1]} a causal 3³ conv (bias) doubling the
 * channels and a depth-to-space in time (channel {@code 2c + r} of frame {@code t} becomes channel
 * {@code c} of frame {@code 2t + r}), otherwise an identity without keys. Then {@code norm1}, the
 * activation and {@code conv_out} (causal 3³, bias) to {@code in_out_channels}.
 */
final class TemporalDecoder extends io.jsora.nn.Layer {
  private final TemporalVaeConfig c;
  private final CausalConv3d conv1;
  private final List<ResBlock> mid = new ArrayList<>();

  /** {@code levels.get(i)} is upstream's {@code block_res_blocks[i]}. */
  private final List<List<ResBlock>> levels = new ArrayList<>();

  /** {@code up.get(i − 1)} is upstream's {@code conv_blocks[i − 1]} (null for an identity). */
  private final List<CausalConv3d> up = new ArrayList<>();

  private final GroupNorm norm1;
  private final CausalConv3d convOut;

  TemporalDecoder(TemporalVaeConfig c, Device device) {
    super(device);
    this.c = c;
    int last = c.levels() - 1;
    long prev = c.width(last);
    conv1 = child("conv1", new CausalConv3d(c.latentEmbedDim(), prev, 3, 1, true, device));
    ModuleListImpl res = child("res_blocks", new ModuleListImpl());
    for (int j = 0; j < c.numResBlocks(); j++) {
      ResBlock r = own(new ResBlock(prev, prev, c.numGroups(), c.activationFn(), device));
      res.push_back(r);
      mid.add(r);
    }
    // built from the last level down, as upstream does, but registered in index order
    List<ModuleListImpl> items = new ArrayList<>();
    List<io.jsora.nn.Layer> convs = new ArrayList<>();
    for (int i = 0; i <= last; i++) {
      levels.add(null);
      items.add(null);
    }
    for (int i = 0; i < last; i++) {
      up.add(null);
      convs.add(null);
    }
    for (int i = last; i >= 0; i--) {
      long width = c.width(i);
      ModuleListImpl list = own(new ModuleListImpl());
      List<ResBlock> level = new ArrayList<>();
      for (int j = 0; j < c.numResBlocks(); j++) {
        ResBlock r = own(new ResBlock(prev, width, c.numGroups(), c.activationFn(), device));
        list.push_back(r);
        level.add(r);
        prev = width;
      }
      items.set(i, list);
      levels.set(i, level);
      if (i > 0) {
        if (c.temporalDownsample()[i - 1]) {
          CausalConv3d conv = own(new CausalConv3d(prev, prev * 2, 3, 1, true, device));
          up.set(i - 1, conv);
          convs.set(i - 1, conv);
        } else {
          convs.set(i - 1, own(new Identity(device)));
        }
      }
    }
    ModuleListImpl blocks = child("block_res_blocks", new ModuleListImpl());
    items.forEach(blocks::push_back);
    ModuleListImpl convBlocks = child("conv_blocks", new ModuleListImpl());
    convs.forEach(convBlocks::push_back);
    norm1 = child("norm1", new GroupNorm(c.numGroups(), prev, device));
    convOut = child("conv_out", new CausalConv3d(prev, c.inOutChannels(), 3, 1, true, device));
  }

  /**
   * {@code z [B, latent_embed_dim, t, H, W]} → {@code [B, in_out, t·f, H, W]} (before the front
   * crop).
   */
  Tensor forward(Tensor z) {
    Tensor h = conv1.forward(z); // (B, width_last, t, H, W)
    for (ResBlock r : mid) {
      h = r.forward(h); // (B, width_last, t, H, W)
    }
    for (int i = levels.size() - 1; i >= 0; i--) {
      for (ResBlock r : levels.get(i)) {
        h = r.forward(h); // (B, width_i, t_i, H, W)
      }
      if (i > 0 && up.get(i - 1) != null) {
        h =
            depthToTime(
                up.get(i - 1).forward(h)); // (B, 2·width_i, t_i, H, W) → (B, width_i, 2·t_i, H, W)
      }
    }
    return convOut.forward(c.activationFn().apply(norm1.forward(h))); // (B, in_out, t·f, H, W)
  }

  /**
   * {@code [B, 2C, T, H, W]} → {@code [B, C, 2T, H, W]}: channel {@code 2c + r} of frame t →
   * channel c of frame {@code 2t + r}.
   */
  static Tensor depthToTime(Tensor x) {
    long[] s = Shapes.of(x);
    long ch = s[1] / 2;
    return x.view(s[0], ch, 2, s[2], s[3], s[4]) // (B, C, 2, T, H, W)
        .permute(0, 1, 3, 2, 4, 5) // (B, C, T, 2, H, W)
        .reshape(s[0], ch, s[2] * 2, s[3], s[4]); // (B, C, 2T, H, W)
  }
}
