package io.jsora.model.osvae;

import io.jsora.model.vae.VideoCompressor;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The 1.2 VAE as a {@link VideoCompressor}: pixels in [-0.5, 0.5] are doubled to the VAE's [-1, 1],
 * and decoded video halved back. Encoding samples the posteriors as upstream's pipeline does, from
 * a CPU generator seeded once ({@link #encode(Tensor, Generator)} takes another).
 *
 * <p>Time does not divide evenly: {@link #latentShape} gives upstream's latent length (17 frames →
 * 5, 16 → 4, 1 → 1), and T need not be a multiple of 4; height and width must be multiples of 8. A
 * latent alone does not fix its frame count (4 latent frames come from 13 to 16 frames), so {@link
 * #decode(Tensor)} returns the longest clip it can come from and {@link #decode(Tensor, long)}
 * takes the count.
 */
public final class OsVaeCompressor implements VideoCompressor {
  private final OpenSoraVae model;
  private final Generator generator;

  /**
   * Takes ownership of {@code model} and switches it to eval mode; {@code seed} seeds the posterior
   * sampling.
   */
  public OsVaeCompressor(OpenSoraVae model, long seed) {
    this.model = model;
    model.eval();
    this.generator = Seeds.cpuGenerator(seed);
  }

  /** The network (owned by this compressor). */
  public OpenSoraVae model() {
    return model;
  }

  @Override
  public String name() {
    return "osvae";
  }

  @Override
  public int latentChannels() {
    return model.config().latentChannels();
  }

  /**
   * Nominal factors: the temporal VAE's 4 in time (see {@link #latentShape} for the exact length),
   * 8 in space.
   */
  @Override
  public int[] factors() {
    int f = model.spatialConfig().spatialFactor();
    return new int[] {model.config().vaeTemporal().timeFactor(), f, f};
  }

  /** Any frame count encodes (time 1); height and width must be multiples of 8. */
  @Override
  public int[] fitMultiples() {
    int f = model.spatialConfig().spatialFactor();
    return new int[] {1, f, f};
  }

  @Override
  public long[] latentShape(long frames, long height, long width) {
    checkSize(frames, height, width);
    return model.latentShape(frames, height, width);
  }

  /** The longest clip whose latent has {@code latentFrames} frames. */
  public long framesFor(long latentFrames) {
    if (latentFrames < 1) {
      throw new IllegalArgumentException("osvae: latent frames must be >= 1, got " + latentFrames);
    }
    OsVaeConfig c = model.config();
    int f = c.vaeTemporal().timeFactor();
    if (c.microFrameSize() == null) {
      return latentFrames * f;
    }
    long perChunk = c.vaeTemporal().latentFrames(c.microFrameSize());
    return latentFrames / perChunk * c.microFrameSize() + latentFrames % perChunk * f;
  }

  @Override
  public Tensor encode(Tensor video) {
    return encode(video, generator);
  }

  /**
   * As {@link #encode(Tensor)}, sampling from {@code random} (a CPU generator); null takes the
   * posterior means. Caller owns the result.
   */
  public Tensor encode(Tensor video, Generator random) {
    long[] s = Shapes.of(video);
    if (s.length != 5 || s[1] != 3) {
      throw new IllegalArgumentException(
          "osvae: video must be [B, 3, T, H, W], found " + Shapes.format(s));
    }
    checkSize(s[2], s[3], s[4]);
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor x =
          video
              .to(model.device(), ScalarType.Float)
              .mul(new Scalar(2.0)); // (B, 3, T, H, W) in [-1, 1]
      return Scopes.keep(model.encode(x, random).to(ScalarType.Float));
    }
  }

  @Override
  public Tensor decode(Tensor latent) {
    long[] s = Shapes.of(latent);
    if (s.length != 5) {
      throw new IllegalArgumentException(
          "osvae: latent must be [B, "
              + latentChannels()
              + ", T', h, w], found "
              + Shapes.format(s));
    }
    return decode(latent, framesFor(s[2]));
  }

  /** Decodes to {@code numFrames} frames in [-0.5, 0.5] (not clamped); caller owns the result. */
  public Tensor decode(Tensor latent, long numFrames) {
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor v =
          model.decode(latent, numFrames).to(ScalarType.Float); // (B, 3, T, H, W) in about [-1, 1]
      return Scopes.keep(v.mul(new Scalar(0.5)));
    }
  }

  private void checkSize(long frames, long height, long width) {
    int f = model.spatialConfig().spatialFactor();
    if (frames < 1) {
      throw new IllegalArgumentException("osvae: frames (T) must be positive, got " + frames);
    }
    if (height < 1 || width < 1 || height % f != 0 || width % f != 0) {
      throw new IllegalArgumentException(
          "osvae: height (H) "
              + height
              + " and width (W) "
              + width
              + " must be positive multiples of "
              + f
              + "; crop or resize the video");
    }
  }

  @Override
  public void close() {
    generator.close();
    model.close();
  }
}
