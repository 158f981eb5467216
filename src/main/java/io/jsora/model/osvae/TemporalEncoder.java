package io.jsora.model.osvae;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;

/**
 * The temporal VAE's encoder: {@code conv_in} (causal 3³, no bias), then per level {@code i} {@code
 * block_res_blocks.i.0..n−1} (width {@code filters · mult[i]}, the first block widening) and,
 * between levels, {@code conv_blocks.i} (causal 3³ with time stride 2 and bias where {@code
 * temporal_downsample[i]}, otherwise an identity without keys), then {@code res_blocks}, {@code
 * norm1}, the activation and {@code conv2} (1³, bias) to {@code 2 · latent_embed_dim} channels.
 * Height and width never change.
 */
final class TemporalEncoder extends io.jsora.nn.Layer {
  private final TemporalVaeConfig c;
  private final CausalConv3d convIn;
  private final List<List<ResBlock>> levels = new ArrayList<>();
  private final List<CausalConv3d> down = new ArrayList<>();
  private final List<ResBlock> mid = new ArrayList<>();
  private final GroupNorm norm1;
  private final CausalConv3d conv2;

  TemporalEncoder(TemporalVaeConfig c, Device device) {
    super(device);
    this.c = c;
    convIn =
        child("conv_in", new CausalConv3d(c.inOutChannels(), c.filters(), 3, 1, false, device));
    ModuleListImpl blocks = child("block_res_blocks", new ModuleListImpl());
    ModuleListImpl convBlocks = child("conv_blocks", new ModuleListImpl());
    long prev = c.filters();
    for (int i = 0; i < c.levels(); i++) {
      long width = c.width(i);
      ModuleListImpl items = own(new ModuleListImpl());
      List<ResBlock> level = new ArrayList<>();
      for (int j = 0; j < c.numResBlocks(); j++) {
        ResBlock r = own(new ResBlock(prev, width, c.numGroups(), c.activationFn(), device));
        items.push_back(r);
        level.add(r);
        prev = width;
      }
      blocks.push_back(items);
      levels.add(level);
      if (i < c.levels() - 1) {
        if (c.temporalDownsample()[i]) {
          CausalConv3d d = own(new CausalConv3d(prev, width, 3, 2, true, device));
          convBlocks.push_back(d);
          down.add(d);
        } else {
          convBlocks.push_back(own(new Identity(device)));
          down.add(null);
        }
      }
    }
    ModuleListImpl res = child("res_blocks", new ModuleListImpl());
    for (int j = 0; j < c.numResBlocks(); j++) {
      ResBlock r = own(new ResBlock(prev, prev, c.numGroups(), c.activationFn(), device));
      res.push_back(r);
      mid.add(r);
    }
    norm1 = child("norm1", new GroupNorm(c.numGroups(), prev, device));
    conv2 = child("conv2", new CausalConv3d(prev, 2L * c.latentEmbedDim(), 1, 1, true, device));
  }

  /**
   * {@code x [B, in_out, T, H, W]} (T a multiple of the time factor) → {@code [B,
   * 2·latent_embed_dim, T/f, H, W]}.
   */
  Tensor forward(Tensor x) {
    Tensor h = convIn.forward(x); // (B, filters, T, H, W)
    for (int i = 0; i < levels.size(); i++) {
      for (ResBlock r : levels.get(i)) {
        h = r.forward(h); // (B, width_i, T_i, H, W)
      }
      if (i < down.size() && down.get(i) != null) {
        h = down.get(i).forward(h); // (B, width_i, T_i / 2, H, W)
      }
    }
    for (ResBlock r : mid) {
      h = r.forward(h); // (B, width_last, T/f, H, W)
    }
    return conv2.forward(
        c.activationFn().apply(norm1.forward(h))); // (B, 2·latent_embed_dim, T/f, H, W)
  }
}
