package io.jsora.model.vae;

import io.jsora.checkpoint.StateDict;
import io.jsora.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * diffusers' {@code AutoencoderKL} (the Stable Diffusion VAE) on images, with its state-dict names:
 * {@code encoder.*}, {@code quant_conv}, {@code post_quant_conv}, {@code decoder.*}. Pixels are in
 * {@code [-1, 1]}; the latent is a diagonal Gaussian whose log-variance is clamped to [-30, 20] as
 * diffusers does.
 *
 * <p>All methods run in the caller's {@link org.bytedeco.javacpp.PointerScope} and return tensors
 * that scope owns.
 */
public final class AutoencoderKL extends Layer {
  private final SdVaeConfig config;
  private final Device home;
  private final Encoder encoder;
  private final Decoder decoder;
  private final Conv2d quantConv;
  private final Conv2d postQuantConv;

  /** A model with PyTorch-default initialisation on {@code device} ({@code meta}: shapes only). */
  public AutoencoderKL(SdVaeConfig config, Device device) {
    super(device);
    this.config = config;
    this.home = own(Compressors.copy(device));
    encoder = child("encoder", new Encoder(config, device));
    decoder = child("decoder", new Decoder(config, device));
    long l = config.latentChannels();
    quantConv =
        config.useQuantConv()
            ? child("quant_conv", new Conv2d(2 * l, 2 * l, 1, 1, 0, device))
            : null;
    postQuantConv =
        config.usePostQuantConv()
            ? child("post_quant_conv", new Conv2d(l, l, 1, 1, 0, device))
            : null;
  }

  public SdVaeConfig config() {
    return config;
  }

  /** The device the parameters live on (owned by the model). */
  public Device device() {
    return home;
  }

  /** The posterior of each image. */
  public record Posterior(Tensor mean, Tensor logvar) {}

  /**
   * Images {@code [N, 3, H, W]} in [-1, 1] → posterior mean and log-variance {@code [N, L, H/f,
   * W/f]}.
   */
  public Posterior encode(Tensor images) {
    Tensor moments = encoder.forward(images); // (N, 2L, h, w)
    if (quantConv != null) {
      moments = quantConv.forward(moments);
    }
    TensorVector parts = moments.chunk(2, 1);
    Tensor logvar =
        parts
            .get(1)
            .clamp(
                new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(-30.0)),
                new org.bytedeco.pytorch.ScalarOptional(new org.bytedeco.pytorch.Scalar(20.0)));
    return new Posterior(parts.get(0), logvar);
  }

  /** Unscaled latents {@code [N, L, h, w]} → images {@code [N, 3, h·f, w·f]} in about [-1, 1]. */
  public Tensor decode(Tensor latents) {
    Tensor z = postQuantConv == null ? latents : postQuantConv.forward(latents);
    return decoder.forward(z);
  }

  /**
   * Renames, in place, the attention keys of checkpoints written by diffusers before 0.14 ({@code
   * query}, {@code key}, {@code value}, {@code proj_attn}) to the current names ({@code to_q},
   * {@code to_k}, {@code to_v}, {@code to_out.0}), as diffusers does when it loads them.
   *
   * @return how many keys were renamed
   */
  public static int renameLegacyKeys(StateDict sd) {
    String[][] map = {
      {".query.", ".to_q."},
      {".key.", ".to_k."},
      {".value.", ".to_v."},
      {".proj_attn.", ".to_out.0."}
    };
    int n = 0;
    for (String name : new ArrayList<>(sd.names())) {
      if (!name.contains(".attentions.")) {
        continue;
      }
      for (String[] m : map) {
        if (name.contains(m[0])) {
          sd.put(name.replace(m[0], m[1]), sd.remove(name));
          n++;
          break;
        }
      }
    }
    return n;
  }

  /**
   * The encoder: {@code conv_in}, {@code down_blocks.i}, {@code mid_block}, {@code conv_norm_out},
   * {@code conv_out}.
   */
  static final class Encoder extends Layer {
    private final Conv2d convIn;
    private final List<VaeBlocks.Down> down = new ArrayList<>();
    private final VaeBlocks.Mid mid;
    private final GroupNorm normOut;
    private final Conv2d convOut;

    Encoder(SdVaeConfig c, Device device) {
      super(device);
      int[] ch = c.blockOutChannels();
      long g = c.normNumGroups();
      convIn = child("conv_in", new Conv2d(c.inChannels(), ch[0], 3, 1, 1, device));
      ModuleListImpl blocks = list("down_blocks");
      long out = ch[0];
      for (int i = 0; i < ch.length; i++) {
        long in = out;
        out = ch[i];
        VaeBlocks.Down b =
            own(new VaeBlocks.Down(in, out, c.layersPerBlock(), i < ch.length - 1, g, device));
        blocks.push_back(b);
        down.add(b);
      }
      mid =
          child(
              "mid_block",
              new VaeBlocks.Mid(ch[ch.length - 1], g, c.midBlockAddAttention(), device));
      normOut = child("conv_norm_out", new GroupNorm(g, ch[ch.length - 1], 1e-6, device));
      convOut =
          child(
              "conv_out", new Conv2d(ch[ch.length - 1], 2L * c.latentChannels(), 3, 1, 1, device));
    }

    /** {@code x [N, 3, H, W]} → moments {@code [N, 2L, H/f, W/f]}. */
    Tensor forward(Tensor x) {
      Tensor h = convIn.forward(x); // (N, c0, H, W)
      for (VaeBlocks.Down b : down) {
        h = b.forward(h);
      }
      h = mid.forward(h); // (N, c_last, H/f, W/f)
      return convOut.forward(torch.silu(normOut.forward(h))); // (N, 2L, H/f, W/f)
    }
  }

  /**
   * The decoder: {@code conv_in}, {@code mid_block}, {@code up_blocks.i}, {@code conv_norm_out},
   * {@code conv_out}.
   */
  static final class Decoder extends Layer {
    private final Conv2d convIn;
    private final VaeBlocks.Mid mid;
    private final List<VaeBlocks.Up> up = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;

    Decoder(SdVaeConfig c, Device device) {
      super(device);
      int[] ch = c.blockOutChannels();
      long g = c.normNumGroups();
      int last = ch.length - 1;
      convIn = child("conv_in", new Conv2d(c.latentChannels(), ch[last], 3, 1, 1, device));
      mid = child("mid_block", new VaeBlocks.Mid(ch[last], g, c.midBlockAddAttention(), device));
      ModuleListImpl blocks = list("up_blocks");
      long out = ch[last];
      for (int i = 0; i < ch.length; i++) {
        long in = out;
        out = ch[last - i];
        VaeBlocks.Up b =
            own(new VaeBlocks.Up(in, out, c.layersPerBlock() + 1, i < last, g, device));
        blocks.push_back(b);
        up.add(b);
      }
      normOut = child("conv_norm_out", new GroupNorm(g, ch[0], 1e-6, device));
      convOut = child("conv_out", new Conv2d(ch[0], c.outChannels(), 3, 1, 1, device));
    }

    /** {@code z [N, L, h, w]} → {@code [N, 3, h·f, w·f]}. */
    Tensor forward(Tensor z) {
      Tensor h = mid.forward(convIn.forward(z)); // (N, c_last, h, w)
      for (VaeBlocks.Up b : up) {
        h = b.forward(h);
      }
      return convOut.forward(torch.silu(normOut.forward(h))); // (N, 3, H, W)
    }
  }
}
