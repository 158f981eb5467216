package io.jsora.model.osvae;

import io.jsora.model.vae.AutoencoderKL;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Upstream's {@code VAE_Temporal}: compresses the per-frame 2D latent in time only (factor {@code f
 * = 2^(true entries of temporal_downsample)}, 4 in the release), causally, so a clip's first frame
 * is encoded from itself alone.
 *
 * <p>encode: {@code x [B, C, T, H, W]} is zero-padded at the front to a multiple of f ({@code p =
 * (f − T mod f) mod f} frames), encoded, passed through {@code quant_conv} (1³) and split into the
 * posterior's mean and log-variance (clamped to [−30, 20]), each {@code [B, embed_dim, (T + p)/f,
 * H, W]}. decode: {@code post_quant_conv} (1³), the decoder, then the first p frames (p computed
 * from the frame count the caller wants back) are dropped.
 *
 * <p>State dict: {@code encoder.*}, {@code quant_conv.conv.*}, {@code post_quant_conv.conv.*},
 * {@code decoder.*}. Methods run in the caller's scope.
 */
public final class TemporalVae extends io.jsora.nn.Layer {
  private final TemporalVaeConfig config;
  private final TemporalEncoder encoder;
  private final CausalConv3d quantConv;
  private final CausalConv3d postQuantConv;
  private final TemporalDecoder decoder;

  public TemporalVae(TemporalVaeConfig config, Device device) {
    super(device);
    this.config = config;
    encoder = child("encoder", new TemporalEncoder(config, device));
    quantConv =
        child(
            "quant_conv",
            new CausalConv3d(
                2L * config.latentEmbedDim(), 2L * config.embedDim(), 1, 1, true, device));
    postQuantConv =
        child(
            "post_quant_conv",
            new CausalConv3d(config.embedDim(), config.latentEmbedDim(), 1, 1, true, device));
    decoder = child("decoder", new TemporalDecoder(config, device));
  }

  public TemporalVaeConfig config() {
    return config;
  }

  /**
   * {@code x [B, in_out, T, H, W]} → posterior mean and clamped log-variance {@code [B, embed_dim,
   * ceil(T/f), H, W]}.
   */
  public AutoencoderKL.Posterior encode(Tensor x) {
    long t = Shapes.of(x)[2];
    long pad = config.frontPadding(t);
    Tensor h = pad == 0 ? x : torch.pad(x, 0, 0, 0, 0, pad, 0); // (B, C, T + p, H, W)
    Tensor moments = quantConv.forward(encoder.forward(h)); // (B, 2·embed_dim, (T + p)/f, H, W)
    long c = config.embedDim();
    // narrow, not chunk: a TensorVector's elements are views into the vector, gone with it
    Tensor mean = moments.narrow(1, 0, c); // (B, embed_dim, (T + p)/f, H, W)
    Tensor logvar =
        moments
            .narrow(1, c, c)
            .clamp(new ScalarOptional(new Scalar(-30.0)), new ScalarOptional(new Scalar(20.0)));
    return new AutoencoderKL.Posterior(mean, logvar); // (B, embed_dim, (T + p)/f, H, W) each
  }

  /**
   * {@code z [B, embed_dim, t, H, W]} → {@code [B, in_out, t·f − p, H, W]}, p the front padding a
   * clip of {@code numFrames} frames had.
   */
  public Tensor decode(Tensor z, long numFrames) {
    long pad = config.frontPadding(numFrames);
    Tensor x = decoder.forward(postQuantConv.forward(z)); // (B, in_out, t·f, H, W)
    long t = Shapes.of(x)[2];
    if (pad >= t) {
      throw new IllegalArgumentException(
          "temporal decode: "
              + Shapes.of(z)[2]
              + " latent frames give "
              + t
              + " frames, fewer than the "
              + pad
              + " front padding frames of a "
              + numFrames
              + "-frame clip");
    }
    return pad == 0 ? x : x.narrow(2, pad, t - pad); // (B, in_out, t·f − p, H, W)
  }
}
