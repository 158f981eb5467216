package io.jsora.model.osvae;

import io.jsora.model.vae.AutoencoderKL;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Open-Sora 1.2's {@code VideoAutoencoderPipeline}: a per-frame 2D VAE ({@code spatial_vae}, 8× in
 * height and width) followed by a causal temporal VAE ({@code temporal_vae}, 4× in time), with the
 * latent normalised per channel: {@code z = (temporal(0.18215 · spatial(x)) − shift) / scale}.
 *
 * <p>encode: video {@code [B, 3, T, H, W]} in [-1, 1] → every frame through the 2D VAE in
 * micro-batches; the 2D latents in chunks of {@code micro_frame_size} (17) frames, each chunk
 * encoded alone (so a chunk of 17 becomes 5 latent frames, 20 → 17 + 3 → 5 + 1); the chunks'
 * latents concatenated in time. decode({@code z}, T): {@code z · scale + shift}, the temporal VAE
 * on chunks of {@code latentFrames(micro_frame_size)} (5) latent frames, chunk k told it holds
 * {@code min(17, T − 17k)} frames, then the 2D decoder per frame. Height and width decode to {@code
 * 8·floor(H/8)}.
 *
 * <p>State dict (the released single file): {@code spatial_vae.module.*} (diffusers {@code
 * AutoencoderKL}), {@code temporal_vae.*}, and the buffers {@code scale}, {@code shift} ({@code [1,
 * C, 1, 1, 1]}). Methods run in the caller's scope and autograd mode; every chunk runs in its own
 * scope, so peak memory is one chunk's activations.
 */
public final class OpenSoraVae extends io.jsora.nn.Layer {
  private final OsVaeConfig config;
  private final SdVaeConfig spatialConfig;
  private final SpatialVae spatial;
  private final TemporalVae temporal;
  private final Tensor scale;
  private final Tensor shift;
  private ScalarType dtype = ScalarType.Float;

  /**
   * A model with PyTorch-default initialisation on {@code device} ({@code meta}: shapes only).
   *
   * @param spatialConfig the shape of the 2D VAE that {@code config.vae2d()} names (see {@link
   *     OsVaeFiles#spatialConfig})
   */
  public OpenSoraVae(OsVaeConfig config, SdVaeConfig spatialConfig, Device device) {
    super(device);
    if (spatialConfig.latentChannels() != config.vaeTemporal().inOutChannels()) {
      throw new IllegalArgumentException(
          "the 2D VAE has "
              + spatialConfig.latentChannels()
              + " latent channels, vae_temporal.in_out_channels is "
              + config.vaeTemporal().inOutChannels());
    }
    this.config = config;
    this.spatialConfig = spatialConfig;
    spatial =
        child(
            "spatial_vae", new SpatialVae(spatialConfig, config.vae2d().microBatchSize(), device));
    temporal = child("temporal_vae", new TemporalVae(config.vaeTemporal(), device));
    scale = buffer("scale", perChannel(config.scale(), device));
    shift = buffer("shift", perChannel(config.shift(), device));
  }

  public OsVaeConfig config() {
    return config;
  }

  public SdVaeConfig spatialConfig() {
    return spatialConfig;
  }

  public SpatialVae spatial() {
    return spatial;
  }

  public TemporalVae temporal() {
    return temporal;
  }

  /** The device the weights live on (not owned by the caller). */
  public Device device() {
    return device;
  }

  /** The parameters' dtype (float32 unless {@link #toDtype} changed it). */
  public ScalarType dtype() {
    return dtype;
  }

  /**
   * Converts weights and buffers (in place) to {@code type}, e.g. bfloat16 on a GPU; inputs are
   * then cast to it.
   */
  public void toDtype(ScalarType type) {
    to(type, false);
    this.dtype = type;
  }

  /** Latent shape {@code [C, T', H/8, W/8]} of a {@code T × H × W} video. */
  public long[] latentShape(long frames, long height, long width) {
    int f = spatialConfig.spatialFactor();
    return new long[] {config.latentChannels(), config.latentFrames(frames), height / f, width / f};
  }

  /**
   * The deterministic latent: every posterior replaced by its mean. See {@link #encode(Tensor,
   * Generator)}.
   */
  public Tensor encode(Tensor video) {
    return encode(video, null);
  }

  /**
   * Video {@code [B, 3, T, H, W]} in [-1, 1] → normalised latent {@code [B, C, T', H/8, W/8]}.
   *
   * @param random null for posterior means; otherwise the posteriors are sampled from it in
   *     upstream's order (every 2D micro-batch, then every temporal chunk), so a CPU generator
   *     seeded s reproduces upstream after {@code torch.manual_seed(s)}
   */
  public Tensor encode(Tensor video, Generator random) {
    Shapes.check(video, "video", -1, spatialConfig.inChannels(), -1, -1, -1);
    Tensor x = video.to(device, dtype); // (B, 3, T, H, W)
    Tensor xz = spatial.encode(x, random); // (B, L, T, h, w), times 0.18215
    long t = Shapes.of(xz)[2];
    long step = config.microFrameSize() == null ? t : config.microFrameSize();
    List<Tensor> chunks = new ArrayList<>();
    for (long i = 0; i < t; i += step) {
      long start = i;
      chunks.add(
          Scopes.local(
              () -> {
                AutoencoderKL.Posterior p =
                    temporal.encode(
                        xz.narrow(2, start, Math.min(step, t - start))); // (B, C, t_k, h, w) each
                return new Tensor[] {random == null ? p.mean() : SpatialVae.sample(p, random)};
              })[0]);
    }
    Tensor z =
        chunks.size() == 1
            ? chunks.get(0)
            : torch.cat(new TensorVector(chunks.toArray(new Tensor[0])), 2); // (B, C, T', h, w)
    return z.sub(shift.to(z.scalar_type())).div(scale.to(z.scalar_type())); // (B, C, T', h, w)
  }

  /**
   * Normalised latent {@code [B, C, T', h, w]} → video {@code [B, 3, numFrames, 8h, 8w]} (about
   * [-1, 1], not clamped).
   *
   * @throws IllegalArgumentException when T' is not the latent length of {@code numFrames} frames
   */
  public Tensor decode(Tensor latent, long numFrames) {
    Shapes.check(latent, "latent", -1, config.latentChannels(), -1, -1, -1);
    long t = Shapes.of(latent)[2];
    if (numFrames < 1 || config.latentFrames(numFrames) != t) {
      throw new IllegalArgumentException(
          "decode: "
              + numFrames
              + " frames need "
              + (numFrames < 1
                  ? "a positive count"
                  : config.latentFrames(numFrames) + " latent frames")
              + ", the latent has "
              + t);
    }
    Tensor z = latent.to(device, dtype);
    z = z.mul(scale.to(z.scalar_type())).add(shift.to(z.scalar_type())); // (B, C, T', h, w)
    Integer mfs = config.microFrameSize();
    long step = mfs == null ? t : config.vaeTemporal().latentFrames(mfs);
    List<Tensor> chunks = new ArrayList<>();
    long remaining = numFrames;
    for (long i = 0; i < t; i += step) {
      long start = i;
      long frames = mfs == null ? remaining : Math.min(mfs, remaining);
      Tensor zz = z;
      chunks.add(
          Scopes.local(
              () ->
                  new Tensor[] {
                    temporal.decode(zz.narrow(2, start, Math.min(step, t - start)), frames)
                  })[0]); // (B, L, frames, h, w)
      remaining -= mfs == null ? remaining : mfs;
    }
    Tensor xz =
        chunks.size() == 1
            ? chunks.get(0)
            : torch.cat(new TensorVector(chunks.toArray(new Tensor[0])), 2); // (B, L, T, h, w)
    return spatial.decode(xz); // (B, 3, T, 8h, 8w)
  }

  /** A float32 {@code [1, C, 1, 1, 1]} buffer value on {@code device}; caller owns. */
  private static Tensor perChannel(PerChannel v, Device device) {
    try (Tensor cpu = io.jsora.tensor.Tensors.of(v.values(), v.bufferShape())) {
      return cpu.to(device, org.bytedeco.pytorch.global.torch.ScalarType.Float);
    }
  }
}
