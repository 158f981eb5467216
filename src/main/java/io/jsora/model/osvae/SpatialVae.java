package io.jsora.model.osvae;

import io.jsora.model.vae.AutoencoderKL;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Upstream's {@code VideoAutoencoderKL}: jsora's diffusers-layout {@link AutoencoderKL} (child
 * {@code module}, so its keys are {@code module.encoder.*} …) applied to every frame, {@code
 * micro_batch_size} frames per call. Encoding returns the posterior times 0.18215 (upstream's
 * hard-coded factor, whatever the diffusers config's {@code scaling_factor} says); decoding divides
 * by it first. Methods run in the caller's scope; each micro-batch runs in its own.
 */
public final class SpatialVae extends io.jsora.nn.Layer {
  private final AutoencoderKL module;
  private final Integer microBatchSize;

  SpatialVae(SdVaeConfig config, Integer microBatchSize, Device device) {
    super(device);
    this.module = child("module", new AutoencoderKL(config, device));
    this.microBatchSize = microBatchSize;
  }

  /** The per-frame network. */
  public AutoencoderKL module() {
    return module;
  }

  /**
   * Video {@code [B, 3, T, H, W]} in [-1, 1] → latent {@code [B, L, T, H/8, W/8]}: each frame's
   * posterior mean ({@code random} null) or a sample {@code mean + exp(logvar/2)·ε} with ε drawn
   * from {@code random} one micro-batch at a time in frame order (upstream's draws), times 0.18215.
   */
  public Tensor encode(Tensor video, Generator random) {
    long[] s = Shapes.of(video);
    Tensor frames =
        video.permute(0, 2, 1, 3, 4).reshape(s[0] * s[2], s[1], s[3], s[4]); // (B·T, 3, H, W)
    long n = s[0] * s[2];
    long step = microBatchSize == null ? n : microBatchSize;
    List<Tensor> out = new ArrayList<>();
    for (long i = 0; i < n; i += step) {
      long start = i;
      out.add(
          Scopes.local(
              () -> {
                AutoencoderKL.Posterior p =
                    module.encode(
                        frames.narrow(0, start, Math.min(step, n - start))); // (m, L, h, w) each
                Tensor z = random == null ? p.mean() : sample(p, random); // (m, L, h, w)
                return new Tensor[] {z.mul(new Scalar(OsVaeConfig.SPATIAL_SCALING))};
              })[0]);
    }
    Tensor z = torch.cat(new TensorVector(out.toArray(new Tensor[0])), 0); // (B·T, L, h, w)
    long[] zs = Shapes.of(z);
    return z.view(s[0], s[2], zs[1], zs[2], zs[3])
        .permute(0, 2, 1, 3, 4)
        .contiguous(); // (B, L, T, h, w)
  }

  /**
   * Latent {@code [B, L, T, h, w]} (as {@link #encode} returns it) → video {@code [B, 3, T, 8h,
   * 8w]}.
   */
  public Tensor decode(Tensor latent) {
    long[] s = Shapes.of(latent);
    Tensor frames =
        latent.permute(0, 2, 1, 3, 4).reshape(s[0] * s[2], s[1], s[3], s[4]); // (B·T, L, h, w)
    long n = s[0] * s[2];
    long step = microBatchSize == null ? n : microBatchSize;
    List<Tensor> out = new ArrayList<>();
    for (long i = 0; i < n; i += step) {
      long start = i;
      out.add(
          Scopes.local(
              () ->
                  new Tensor[] {
                    module.decode(
                        frames
                            .narrow(0, start, Math.min(step, n - start))
                            .div(new Scalar(OsVaeConfig.SPATIAL_SCALING)))
                  })[0]);
    }
    Tensor x = torch.cat(new TensorVector(out.toArray(new Tensor[0])), 0); // (B·T, 3, H, W)
    long[] xs = Shapes.of(x);
    return x.view(s[0], s[2], xs[1], xs[2], xs[3])
        .permute(0, 2, 1, 3, 4)
        .contiguous(); // (B, 3, T, H, W)
  }

  /**
   * {@code mean + exp(logvar/2)·ε}, ε ~ N(0, 1) of the mean's shape drawn in float32 on the CPU
   * from {@code random}.
   */
  static Tensor sample(AutoencoderKL.Posterior p, Generator random) {
    Tensor mean = p.mean();
    Tensor eps =
        torch.randn(
            Shapes.of(mean),
            new GeneratorOptional(random),
            new TensorOptions(torch.ScalarType.Float));
    eps = eps.to(mean.device(), mean.scalar_type());
    return mean.add(p.logvar().mul(new Scalar(0.5)).exp().mul(eps));
  }
}
