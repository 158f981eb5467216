package io.jsora.model.vae;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The Stable Diffusion VAE applied frame by frame: latent {@code [B, 4, T, H/8, W/8]} (for {@code
 * sd-vae-ft-mse}). Encoding maps pixels from [-0.5, 0.5] to the VAE's [-1, 1], samples {@code mean
 * + exp(logvar/2)·ε} and multiplies by the scaling factor (after subtracting the shift factor, when
 * the model has one); decoding inverts both. Frames go through the network {@link
 * CompressorOptions#microBatch} at a time, so memory does not grow with the video's length.
 *
 * <p>ε is drawn on the CPU from a generator seeded with {@link CompressorOptions#seed} for all
 * frames of a call at once, so the latent does not depend on the device or the micro-batch size;
 * consecutive calls continue the same stream ({@link #encode(Tensor, Generator)} takes an explicit
 * generator instead).
 */
public final class SdVaeCompressor implements VideoCompressor {
  private final AutoencoderKL model;
  private final double scale;
  private final double shift;
  private final int microBatch;
  private final Generator generator;

  /** Takes ownership of {@code model} and switches it to eval mode. */
  public SdVaeCompressor(AutoencoderKL model, CompressorOptions options) {
    this.model = model;
    model.eval();
    this.scale =
        options.scalingFactor() != null ? options.scalingFactor() : model.config().scalingFactor();
    this.shift = model.config().shiftFactor() == null ? 0.0 : model.config().shiftFactor();
    this.microBatch = options.microBatch();
    this.generator = Seeds.cpuGenerator(options.seed());
  }

  /** The network (owned by this compressor). */
  public AutoencoderKL model() {
    return model;
  }

  /** The factor latents are multiplied by. */
  public double scalingFactor() {
    return scale;
  }

  @Override
  public String name() {
    return "vae";
  }

  @Override
  public int latentChannels() {
    return model.config().latentChannels();
  }

  @Override
  public int[] factors() {
    int f = model.config().spatialFactor();
    return new int[] {1, f, f};
  }

  @Override
  public long[] latentShape(long frames, long height, long width) {
    int[] f = factors();
    Compressors.checkDivisible(name(), frames, height, width, f);
    return new long[] {latentChannels(), frames, height / f[1], width / f[2]};
  }

  @Override
  public Tensor encode(Tensor video) {
    return encode(video, generator);
  }

  /**
   * As {@link #encode(Tensor)}, drawing ε from {@code random} (a CPU generator); caller owns the
   * result.
   */
  public Tensor encode(Tensor video, Generator random) {
    checkVideo(video);
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor x =
          video
              .to(model.device(), torch.ScalarType.Float)
              .mul(new Scalar(2.0)); // (B, 3, T, H, W) in [-1, 1]
      AutoencoderKL.Posterior p = posterior(model, x, microBatch); // (B, L, T, h, w) each
      long[] m = Shapes.of(p.mean());
      Tensor eps =
          torch.randn(
              new long[] {m[0] * m[2], m[1], m[3], m[4]},
              new GeneratorOptional(random),
              new TensorOptions(
                  torch.ScalarType.Float)); // (B·T, L, h, w), the order diffusers samples frames in
      eps =
          eps.view(m[0], m[2], m[1], m[3], m[4])
              .permute(0, 2, 1, 3, 4)
              .to(model.device(), torch.ScalarType.Float);
      Tensor z = p.mean().add(p.logvar().mul(new Scalar(0.5)).exp().mul(eps)); // (B, L, T, h, w)
      return Scopes.keep(z.sub(new Scalar(shift)).mul(new Scalar(scale)));
    }
  }

  /**
   * The unscaled posterior of video {@code [B, 3, T, H, W]} in [-0.5, 0.5]; caller owns both
   * tensors.
   */
  public AutoencoderKL.Posterior posterior(Tensor video) {
    checkVideo(video);
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      AutoencoderKL.Posterior p =
          posterior(
              model,
              video.to(model.device(), torch.ScalarType.Float).mul(new Scalar(2.0)),
              microBatch);
      return new AutoencoderKL.Posterior(Scopes.keep(p.mean()), Scopes.keep(p.logvar()));
    }
  }

  @Override
  public Tensor decode(Tensor latent) {
    long[] s = Shapes.of(latent);
    if (s.length != 5 || s[1] != latentChannels()) {
      throw new IllegalArgumentException(
          "vae: latent must be [B, "
              + latentChannels()
              + ", T, h, w], found "
              + Arrays.toString(s));
    }
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor z =
          latent
              .to(model.device(), torch.ScalarType.Float)
              .div(new Scalar(scale))
              .add(new Scalar(shift));
      return Scopes.keep(
          decodeFrames(model, z, microBatch).mul(new Scalar(0.5))); // back to [-0.5, 0.5]
    }
  }

  /**
   * Posterior of each frame of {@code video [B, C, T, H, W]}, given to the network as it is (no
   * rescaling), {@code microBatch} frames per call: mean and log-variance {@code [B, L, T, h, w]}.
   * Runs in the caller's scope and autograd mode.
   *
   * @throws IllegalArgumentException when the video is not 5-d, or its height or width is not a
   *     multiple of the autoencoder's spatial factor
   */
  public static AutoencoderKL.Posterior posterior(AutoencoderKL vae, Tensor video, int microBatch) {
    long[] s = Shapes.of(video);
    int f = vae.config().spatialFactor();
    if (s.length != 5) {
      throw new IllegalArgumentException(
          "video: expected [B, C, T, H, W], found " + Shapes.format(s));
    }
    if (s[3] % f != 0 || s[4] % f != 0) {
      throw new IllegalArgumentException(
          "video: height and width must be multiples of the autoencoder's spatial factor "
              + f
              + ", found "
              + s[3]
              + "x"
              + s[4]);
    }
    Tensor frames = frameMajor(video); // (B·T, C, H, W)
    TensorVector means = new TensorVector();
    TensorVector logvars = new TensorVector();
    for (long i = 0; i < s[0] * s[2]; i += microBatch) {
      try (PointerScope chunk = new PointerScope()) {
        AutoencoderKL.Posterior p =
            vae.encode(frames.narrow(0, i, Math.min(microBatch, s[0] * s[2] - i))); // (n, L, h, w)
        means.push_back(p.mean());
        logvars.push_back(p.logvar());
      }
    }
    return new AutoencoderKL.Posterior(
        videoMajor(torch.cat(means, 0), s[0], s[2]), videoMajor(torch.cat(logvars, 0), s[0], s[2]));
  }

  /**
   * Decodes each frame of unscaled latents {@code [B, L, T, h, w]}, {@code microBatch} frames per
   * call, as the network outputs them: {@code [B, 3, T, H, W]}. Runs in the caller's scope.
   */
  public static Tensor decodeFrames(AutoencoderKL vae, Tensor latent, int microBatch) {
    long[] s = Shapes.of(latent);
    Tensor frames = frameMajor(latent); // (B·T, L, h, w)
    TensorVector out = new TensorVector();
    for (long i = 0; i < s[0] * s[2]; i += microBatch) {
      try (PointerScope chunk = new PointerScope()) {
        out.push_back(
            vae.decode(frames.narrow(0, i, Math.min(microBatch, s[0] * s[2] - i)))); // (n, 3, H, W)
      }
    }
    return videoMajor(torch.cat(out, 0), s[0], s[2]);
  }

  /** {@code [B, C, T, H, W]} → {@code [B·T, C, H, W]}. */
  static Tensor frameMajor(Tensor v) {
    long[] s = Shapes.of(v);
    return v.permute(0, 2, 1, 3, 4).reshape(s[0] * s[2], s[1], s[3], s[4]);
  }

  /** {@code [B·T, C, H, W]} → {@code [B, C, T, H, W]}. */
  static Tensor videoMajor(Tensor f, long b, long t) {
    long[] s = Shapes.of(f);
    return f.view(b, t, s[1], s[2], s[3]).permute(0, 2, 1, 3, 4).contiguous();
  }

  private void checkVideo(Tensor video) {
    long[] s = Shapes.of(video);
    if (s.length != 5 || s[1] != model.config().inChannels()) {
      throw new IllegalArgumentException(
          "vae: video must be [B, "
              + model.config().inChannels()
              + ", T, H, W], found "
              + Arrays.toString(s));
    }
    Compressors.checkDivisible(name(), s[2], s[3], s[4], factors());
  }

  @Override
  public void close() {
    generator.close();
    model.close();
  }
}
