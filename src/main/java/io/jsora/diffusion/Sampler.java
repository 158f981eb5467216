package io.jsora.diffusion;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The reverse-process loop: ancestral DDPM (upstream's default, 250 respaced steps) or DDIM
 * (deterministic at {@code eta = 0}), from {@code x_T} to a sample, one {@link PointerScope} and no
 * autograd per step.
 *
 * <p>The number of steps is that of the (respaced) {@link GaussianDiffusion} given; build it with
 * {@code GaussianDiffusion.create(config, "250", device)} or {@code "ddim25"}.
 */
public final class Sampler {
  /** Reverse-step rule. */
  public enum Method implements io.jsora.config.Choice {
    /** Ancestral sampling, the reference's. */
    DDPM("ddpm"),
    /** Song et al.'s implicit sampler ({@code eta} = 0: deterministic). */
    DDIM("ddim");

    private final String id;

    Method(String id) {
      this.id = id;
    }

    @com.fasterxml.jackson.annotation.JsonValue
    @Override
    public String id() {
      return id;
    }

    /** Parses {@code ddpm} or {@code ddim}. */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static Method parse(String name) {
      return io.jsora.config.Choice.parse(Method.class, name);
    }

    @Override
    public String toString() {
      return id;
    }
  }

  private final GaussianDiffusion diffusion;
  private final Method method;
  private final double eta;
  private final boolean clipDenoised;

  /**
   * @param diffusion the (respaced) process to walk; not owned
   * @param method DDPM or DDIM
   * @param eta DDIM's noise scale (0 = deterministic, 1 ≈ DDPM); ignored by DDPM
   * @param clipDenoised clamp each {@code x0} estimate to [-1, 1] (upstream samples without)
   */
  public Sampler(GaussianDiffusion diffusion, Method method, double eta, boolean clipDenoised) {
    if (eta < 0 || Double.isNaN(eta)) {
      throw new IllegalArgumentException("eta must be >= 0, got " + eta);
    }
    this.diffusion = diffusion;
    this.method = method;
    this.eta = eta;
    this.clipDenoised = clipDenoised;
  }

  /** Whether a step consumes noise (DDPM always, DDIM when eta &gt; 0). */
  public boolean stochastic() {
    return method == Method.DDPM || eta > 0;
  }

  /**
   * Samples from pure noise: {@code x_T} is {@code noise.draw(shape, 0)}.
   *
   * @param shape {@code [B, C, ...]}
   * @return the sample {@code [B, C, ...]}; caller owns it (close it)
   */
  public Tensor sample(Denoiser model, long[] shape, NoiseSource noise, SamplingProgress progress) {
    Tensor xT;
    try (PointerScope s = new PointerScope()) {
      xT = Scopes.keep(noise.draw(shape, 0));
    }
    try (xT) {
      return sample(model, xT, noise, progress);
    }
  }

  /**
   * Runs every reverse step from {@code xT} (not closed).
   *
   * @return the sample, a new tensor the caller owns (close it)
   */
  public Tensor sample(Denoiser model, Tensor xT, NoiseSource noise, SamplingProgress progress) {
    long[] shape = Shapes.of(xT);
    int steps = diffusion.numTimesteps();
    int[] map = diffusion.timestepMap();
    Tensor x = xT;
    for (int k = 0; k < steps; k++) {
      int i = steps - 1 - k;
      Tensor next;
      try (PointerScope s = new PointerScope();
          NoGradGuard g = new NoGradGuard()) {
        Tensor t = diffusion.timesteps(i, shape[0]);
        Tensor n = stochastic() ? noise.draw(shape, k + 1) : null;
        GaussianDiffusion.Step step =
            method == Method.DDPM
                ? diffusion.pSample(model, x, t, n, clipDenoised)
                : diffusion.ddimSample(model, x, t, n, eta, clipDenoised);
        next = Scopes.keep(step.sample());
      }
      if (x != xT) {
        x.close();
      }
      x = next;
      progress.onStep(k + 1, steps, map[i]);
    }
    return x;
  }

  @Override
  public String toString() {
    return method == Method.DDPM
        ? "DDPM, " + diffusion.numTimesteps() + " steps"
        : "DDIM (eta " + eta + "), " + diffusion.numTimesteps() + " steps";
  }
}
