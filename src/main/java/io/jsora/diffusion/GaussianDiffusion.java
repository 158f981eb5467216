package io.jsora.diffusion;

import static io.jsora.diffusion.GaussianMath.s;

import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A Gaussian diffusion process of {@code T} steps, possibly respaced from a longer one: the forward
 * process {@code q}, the model's reverse step {@code p} and the training loss.
 *
 * <p>Notation: {@code ᾱ_t = ∏_{s≤t} (1 − β_s)}, {@code x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·eps}. Timesteps
 * {@code t} given to the methods here are indices into THIS process ({@code 0..T−1}); the {@link
 * Denoiser} is called with {@link #modelTimesteps} of them, the step numbers of the original
 * process, so a model trained on 1000 steps samples correctly on a 250-step respacing.
 *
 * <p>Schedules are computed in {@code double}, moved to the device once as float64 tables, and
 * gathered per batch as float32 (as DiT does). Every tensor a method returns is created in the
 * caller's current scope. The object owns its tables: {@link #close()} releases them.
 */
public final class GaussianDiffusion implements AutoCloseable {
  /** Mean and variance of a diagonal Gaussian; variances broadcast against the mean. */
  public record Gaussian(Tensor mean, Tensor variance, Tensor logVariance) {}

  /**
   * The reverse step {@code p(x_{t−1} | x_t)} as predicted by the model.
   *
   * @param mean {@code [B, C, ...]}
   * @param variance broadcastable to the mean
   * @param logVariance broadcastable to the mean
   * @param predX0 the model's estimate of {@code x0}, {@code [B, C, ...]}
   */
  public record PMeanVariance(Tensor mean, Tensor variance, Tensor logVariance, Tensor predX0) {}

  /**
   * Per-sample training losses, each {@code [B]}.
   *
   * @param loss {@code mse + vb} (just {@code mse} with a fixed variance)
   * @param mse mean squared error of the prediction against its target
   * @param vb the variational-bound term in bits per dimension (learned variance only, else null);
   *     the mean prediction is detached in it, so it trains only the variance channels
   */
  public record Losses(Tensor loss, Tensor mse, Tensor vb) {}

  /** One reverse step's result: the new sample and the {@code x0} estimate used for it. */
  public record Step(Tensor sample, Tensor predX0) {}

  private final DiffusionConfig config;
  private final int[] timestepMap;
  private final boolean identityMap;
  private final Device device;

  private final double[] betas;
  private final double[] alphasCumprod;
  private final double[] alphasCumprodPrev;
  private final double[] posteriorVariance;
  private final double[] posteriorLogVarianceClipped;

  private final Tensor tAlphasCumprod;
  private final Tensor tAlphasCumprodPrev;
  private final Tensor tOneMinusAlphasCumprod;
  private final Tensor tLogOneMinusAlphasCumprod;
  private final Tensor tSqrtAlphasCumprod;
  private final Tensor tSqrtOneMinusAlphasCumprod;
  private final Tensor tSqrtRecipAlphasCumprod;
  private final Tensor tSqrtRecipm1AlphasCumprod;
  private final Tensor tPosteriorVariance;
  private final Tensor tPosteriorLogVarianceClipped;
  private final Tensor tPosteriorMeanCoef1;
  private final Tensor tPosteriorMeanCoef2;
  private final Tensor tLogBetas;
  private final Tensor tLargeVariance;
  private final Tensor tLargeLogVariance;
  private final Tensor tMap;

  /**
   * The full process of {@code config}, as training uses it; tables on {@code device} (not
   * retained).
   */
  public static GaussianDiffusion full(DiffusionConfig config, Device device) {
    return create(config, "", device);
  }

  /**
   * The process of {@code config} respaced to {@code steps} steps for {@code method}: evenly
   * strided for DDIM (IDDPM's {@code ddimN}), evenly spaced sections for DDPM (its {@code N}).
   */
  public static GaussianDiffusion respaced(
      DiffusionConfig config, Sampler.Method method, int steps, Device device) {
    return create(config, (method == Sampler.Method.DDIM ? "ddim" : "") + steps, device);
  }

  /**
   * The process of {@code config}, respaced by {@code respacing} (see {@link Respacing}; {@code ""}
   * for the full process used in training), with its tables on {@code device} (not retained; the
   * caller keeps ownership of it).
   */
  public static GaussianDiffusion create(DiffusionConfig config, String respacing, Device device) {
    double[] base = config.schedule().betas(config.numTimesteps());
    int[] kept = Respacing.timesteps(config.numTimesteps(), respacing);
    double[] cumprod = cumprod(base);
    // respacing keeps ᾱ at the kept steps: β'_i = 1 − ᾱ_{k_i} / ᾱ_{k_{i−1}}
    double[] spaced = new double[kept.length];
    double last = 1.0;
    for (int i = 0; i < kept.length; i++) {
      spaced[i] = 1 - cumprod[kept[i]] / last;
      last = cumprod[kept[i]];
    }
    return new GaussianDiffusion(config, spaced, kept, device);
  }

  private GaussianDiffusion(
      DiffusionConfig config, double[] betas, int[] timestepMap, Device device) {
    int n = betas.length;
    for (int i = 0; i < n; i++) {
      if (!(betas[i] > 0 && betas[i] <= 1)) {
        throw new IllegalArgumentException("beta[" + i + "] = " + betas[i] + " is outside (0, 1]");
      }
    }
    this.config = config;
    this.betas = betas.clone();
    this.timestepMap = timestepMap.clone();
    boolean identity = timestepMap.length == config.numTimesteps();
    for (int i = 0; identity && i < timestepMap.length; i++) {
      identity = timestepMap[i] == i;
    }
    this.identityMap = identity;
    this.device = new Device(device.type(), device.index());

    alphasCumprod = cumprod(betas);
    alphasCumprodPrev = new double[n];
    alphasCumprodPrev[0] = 1.0;
    System.arraycopy(alphasCumprod, 0, alphasCumprodPrev, 1, n - 1);
    double[] sqrtAc = new double[n];
    double[] sqrtOneMinusAc = new double[n];
    double[] oneMinusAc = new double[n];
    double[] logOneMinusAc = new double[n];
    double[] sqrtRecipAc = new double[n];
    double[] sqrtRecipm1Ac = new double[n];
    double[] logBetas = new double[n];
    posteriorVariance = new double[n];
    double[] posteriorMeanCoef1 = new double[n]; // only the device tables are kept
    double[] posteriorMeanCoef2 = new double[n];
    for (int i = 0; i < n; i++) {
      double ac = alphasCumprod[i];
      double prev = alphasCumprodPrev[i];
      sqrtAc[i] = Math.sqrt(ac);
      sqrtOneMinusAc[i] = Math.sqrt(1.0 - ac);
      oneMinusAc[i] = 1.0 - ac;
      logOneMinusAc[i] = Math.log(1.0 - ac);
      sqrtRecipAc[i] = Math.sqrt(1.0 / ac);
      sqrtRecipm1Ac[i] = Math.sqrt(1.0 / ac - 1);
      logBetas[i] = Math.log(betas[i]);
      posteriorVariance[i] = betas[i] * (1.0 - prev) / (1.0 - ac);
      posteriorMeanCoef1[i] = betas[i] * Math.sqrt(prev) / (1.0 - ac);
      posteriorMeanCoef2[i] = (1.0 - prev) * Math.sqrt(1.0 - betas[i]) / (1.0 - ac);
    }
    // the posterior variance is 0 at t = 0: clip its log by repeating the value at t = 1
    posteriorLogVarianceClipped = new double[n];
    double[] largeVariance = new double[n];
    double first = n > 1 ? posteriorVariance[1] : betas[0];
    for (int i = 0; i < n; i++) {
      posteriorLogVarianceClipped[i] = Math.log(i == 0 ? first : posteriorVariance[i]);
      largeVariance[i] = i == 0 ? first : betas[i];
    }
    double[] largeLogVariance = Arrays.stream(largeVariance).map(Math::log).toArray();

    tAlphasCumprod = table(alphasCumprod);
    tAlphasCumprodPrev = table(alphasCumprodPrev);
    tOneMinusAlphasCumprod = table(oneMinusAc);
    tLogOneMinusAlphasCumprod = table(logOneMinusAc);
    tSqrtAlphasCumprod = table(sqrtAc);
    tSqrtOneMinusAlphasCumprod = table(sqrtOneMinusAc);
    tSqrtRecipAlphasCumprod = table(sqrtRecipAc);
    tSqrtRecipm1AlphasCumprod = table(sqrtRecipm1Ac);
    tPosteriorVariance = table(posteriorVariance);
    tPosteriorLogVarianceClipped = table(posteriorLogVarianceClipped);
    tPosteriorMeanCoef1 = table(posteriorMeanCoef1);
    tPosteriorMeanCoef2 = table(posteriorMeanCoef2);
    tLogBetas = table(logBetas);
    tLargeVariance = table(largeVariance);
    tLargeLogVariance = table(largeLogVariance);
    long[] map = Arrays.stream(timestepMap).asLongStream().toArray();
    try (Tensor cpu = Tensors.of(map, map.length)) {
      tMap = cpu.to(this.device, ScalarType.Long);
    }
  }

  private Tensor table(double[] values) {
    try (Tensor cpu = Tensors.of(values, values.length)) {
      return cpu.to(device, ScalarType.Double);
    }
  }

  private static double[] cumprod(double[] betas) {
    double[] out = new double[betas.length];
    double acc = 1.0;
    for (int i = 0; i < betas.length; i++) {
      acc *= 1.0 - betas[i];
      out[i] = acc;
    }
    return out;
  }

  // ---------------------------------------------------------------- description

  public DiffusionConfig config() {
    return config;
  }

  /** Steps of this (possibly respaced) process. */
  public int numTimesteps() {
    return betas.length;
  }

  /** For each step of this process, its step number in the original process. */
  public int[] timestepMap() {
    return timestepMap.clone();
  }

  public double[] betas() {
    return betas.clone();
  }

  public double[] alphasCumprod() {
    return alphasCumprod.clone();
  }

  public double[] alphasCumprodPrev() {
    return alphasCumprodPrev.clone();
  }

  public double[] posteriorVariance() {
    return posteriorVariance.clone();
  }

  public double[] posteriorLogVarianceClipped() {
    return posteriorLogVarianceClipped.clone();
  }

  /** The device of the tables; inputs must live there. Owned by this object. */
  public Device device() {
    return device;
  }

  // ---------------------------------------------------------------- helpers

  /** {@code table[t]} as float32, shaped {@code [B, 1, ..., 1]} with {@code rank} dimensions. */
  private Tensor extract(Tensor table, Tensor t, int rank) {
    Tensor v = table.index_select(0, indices(t)).to(ScalarType.Float);
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    shape[0] = -1;
    return v.view(shape);
  }

  private Tensor indices(Tensor t) {
    if (t.dim() != 1) {
      throw new IllegalArgumentException(
          "timesteps: expected shape [B], found " + Arrays.toString(Shapes.of(t)));
    }
    return t.to(device, ScalarType.Long);
  }

  /** A batch of one timestep of this process: int64 {@code [batch]} on the device. */
  public Tensor timesteps(int index, long batch) {
    if (index < 0 || index >= numTimesteps()) {
      throw new IllegalArgumentException(
          "timestep " + index + " is outside [0, " + numTimesteps() + ")");
    }
    return torch
        .full(new long[] {batch}, new Scalar((long) index), new TensorOptions(ScalarType.Long))
        .to(device, ScalarType.Long);
  }

  /**
   * Maps timesteps of this process to the original process's step numbers (what the model sees).
   */
  public Tensor modelTimesteps(Tensor t) {
    Tensor idx = indices(t);
    return identityMap ? idx : tMap.index_select(0, idx);
  }

  private static void checkSameShape(Tensor a, String an, Tensor b, String bn) {
    long[] sa = Shapes.of(a);
    long[] sb = Shapes.of(b);
    if (!Arrays.equals(sa, sb)) {
      throw new IllegalArgumentException(
          bn
              + ": expected the shape of "
              + an
              + " "
              + Arrays.toString(sa)
              + ", found "
              + Arrays.toString(sb));
    }
  }

  private static void checkBatch(Tensor x, Tensor t) {
    long b = Shapes.of(x)[0];
    long[] ts = Shapes.of(t);
    if (ts.length != 1 || ts[0] != b) {
      throw new IllegalArgumentException(
          "timesteps: expected shape ["
              + b
              + "] for a batch of "
              + b
              + ", found "
              + Arrays.toString(ts));
    }
  }

  /** Model outputs in bf16/fp16 (autocast) are promoted so the diffusion math runs in fp32. */
  private static Tensor atLeastFloat(Tensor out) {
    DType d = DType.of(out);
    return d == DType.F16 || d == DType.BF16 ? out.to(ScalarType.Float) : out;
  }

  // ---------------------------------------------------------------- forward process q

  /** {@code q(x_t | x0)}: mean {@code √ᾱ_t·x0}, variance {@code 1 − ᾱ_t}. */
  public Gaussian qMeanVariance(Tensor x0, Tensor t) {
    checkBatch(x0, t);
    int r = (int) x0.dim();
    Tensor mean = extract(tSqrtAlphasCumprod, t, r).mul(x0);
    // 1 − ᾱ from the double table: in float32 it would lose 4 digits near t = 0
    return new Gaussian(
        mean, extract(tOneMinusAlphasCumprod, t, r), extract(tLogOneMinusAlphasCumprod, t, r));
  }

  /** Samples {@code x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·noise}. */
  public Tensor qSample(Tensor x0, Tensor t, Tensor noise) {
    checkBatch(x0, t);
    checkSameShape(x0, "x0", noise, "noise");
    int r = (int) x0.dim();
    return extract(tSqrtAlphasCumprod, t, r)
        .mul(x0)
        .add(extract(tSqrtOneMinusAlphasCumprod, t, r).mul(noise));
  }

  /**
   * The posterior {@code q(x_{t−1} | x_t, x0)}: mean {@code c1·x0 + c2·x_t} with {@code c1 =
   * β_t√ᾱ_{t−1}/(1−ᾱ_t)}, {@code c2 = (1−ᾱ_{t−1})√α_t/(1−ᾱ_t)}; variance {@code β̃_t =
   * β_t(1−ᾱ_{t−1})/(1−ᾱ_t)}, its log clipped at t = 0.
   */
  public Gaussian qPosterior(Tensor x0, Tensor xt, Tensor t) {
    checkBatch(xt, t);
    checkSameShape(xt, "x_t", x0, "x0");
    int r = (int) xt.dim();
    Tensor mean =
        extract(tPosteriorMeanCoef1, t, r).mul(x0).add(extract(tPosteriorMeanCoef2, t, r).mul(xt));
    return new Gaussian(
        mean, extract(tPosteriorVariance, t, r), extract(tPosteriorLogVarianceClipped, t, r));
  }

  // ---------------------------------------------------------------- prediction conversions

  /** {@code x0} from a prediction of the configured kind (eps, v or x0). */
  public Tensor predictX0(Tensor xt, Tensor t, Tensor prediction) {
    int r = (int) xt.dim();
    switch (config.prediction()) {
      case EPS:
        return extract(tSqrtRecipAlphasCumprod, t, r)
            .mul(xt)
            .sub(extract(tSqrtRecipm1AlphasCumprod, t, r).mul(prediction));
      case V:
        return extract(tSqrtAlphasCumprod, t, r)
            .mul(xt)
            .sub(extract(tSqrtOneMinusAlphasCumprod, t, r).mul(prediction));
      default:
        return prediction;
    }
  }

  /** {@code eps = (x_t/√ᾱ_t − x0) / √(1/ᾱ_t − 1)}. */
  public Tensor predictEps(Tensor xt, Tensor t, Tensor x0) {
    int r = (int) xt.dim();
    return extract(tSqrtRecipAlphasCumprod, t, r)
        .mul(xt)
        .sub(x0)
        .div(extract(tSqrtRecipm1AlphasCumprod, t, r));
  }

  /** The velocity {@code v = √ᾱ_t·eps − √(1−ᾱ_t)·x0}. */
  public Tensor velocity(Tensor x0, Tensor t, Tensor eps) {
    int r = (int) x0.dim();
    return extract(tSqrtAlphasCumprod, t, r)
        .mul(eps)
        .sub(extract(tSqrtOneMinusAlphasCumprod, t, r).mul(x0));
  }

  /** What the model's prediction channels are trained towards: noise, velocity or x0. */
  public Tensor target(Tensor x0, Tensor t, Tensor noise) {
    switch (config.prediction()) {
      case EPS:
        return noise;
      case V:
        return velocity(x0, t, noise);
      default:
        return x0;
    }
  }

  // ---------------------------------------------------------------- reverse process p

  /** Runs the model and returns {@code p(x_{t−1} | x_t)}; see {@link #pMeanVarianceFromOutput}. */
  public PMeanVariance pMeanVariance(Denoiser model, Tensor xt, Tensor t, boolean clipDenoised) {
    checkBatch(xt, t);
    return pMeanVarianceFromOutput(model.apply(xt, modelTimesteps(t)), xt, t, clipDenoised);
  }

  /**
   * {@code p(x_{t−1} | x_t)} from a model output: {@code x0} from the prediction channels (clamped
   * to [-1, 1] if {@code clipDenoised}), the mean as the posterior mean given that {@code x0}, and
   * the variance learned or fixed.
   *
   * @param output {@code [B, C, ...]}, or {@code [B, 2C, ...]} for a learned variance
   */
  public PMeanVariance pMeanVarianceFromOutput(
      Tensor output, Tensor xt, Tensor t, boolean clipDenoised) {
    long[] xs = Shapes.of(xt);
    long c = xs[1];
    long[] want = xs.clone();
    want[1] = config.variance().learned() ? 2 * c : c;
    long[] got = Shapes.of(output);
    if (!Arrays.equals(want, got)) {
      throw new IllegalArgumentException(
          "model output: expected shape "
              + Arrays.toString(want)
              + " for input "
              + Arrays.toString(xs)
              + (config.variance().learned() ? " (learned variance doubles the channels)" : "")
              + ", found "
              + Arrays.toString(got));
    }
    Tensor out = atLeastFloat(output);
    int r = xs.length;
    Tensor prediction;
    Tensor variance;
    Tensor logVariance;
    switch (config.variance()) {
      case LEARNED_RANGE:
        {
          prediction = out.narrow(1, 0, c);
          Tensor values = out.narrow(1, c, c);
          Tensor minLog = extract(tPosteriorLogVarianceClipped, t, r);
          Tensor maxLog = extract(tLogBetas, t, r);
          Tensor frac = values.add(s(1.0)).div(s(2.0));
          logVariance = frac.mul(maxLog).add(frac.neg().add(s(1.0)).mul(minLog));
          variance = logVariance.exp();
          break;
        }
      case FIXED_LARGE:
        prediction = out;
        variance = extract(tLargeVariance, t, r).expand(xs);
        logVariance = extract(tLargeLogVariance, t, r).expand(xs);
        break;
      default:
        prediction = out;
        variance = extract(tPosteriorVariance, t, r).expand(xs);
        logVariance = extract(tPosteriorLogVarianceClipped, t, r).expand(xs);
        break;
    }
    Tensor predX0 = predictX0(xt, t, prediction);
    if (clipDenoised) {
      predX0 = predX0.clamp(new ScalarOptional(s(-1.0)), new ScalarOptional(s(1.0)));
    }
    Tensor mean = qPosterior(predX0, xt, t).mean();
    return new PMeanVariance(mean, variance, logVariance, predX0);
  }

  // ---------------------------------------------------------------- losses

  /**
   * The variational-bound term for each sample, in bits per dimension: {@code KL(q(x_{t−1}|x_t,x0)
   * ‖ p(x_{t−1}|x_t))} for t &gt; 0, and the discretised decoder NLL {@code −log p(x0|x_1)} at t =
   * 0.
   *
   * @param output model output as in {@link #pMeanVarianceFromOutput}
   * @param mask null, or 1 for real and 0 for padded elements (see {@link GaussianMath#meanFlat})
   * @return {@code [B]}
   */
  public Tensor vbTermsBpd(Tensor output, Tensor x0, Tensor xt, Tensor t, Tensor mask) {
    Gaussian q = qPosterior(x0, xt, t);
    PMeanVariance p = pMeanVarianceFromOutput(output, xt, t, false);
    Tensor kl =
        GaussianMath.meanFlat(
                GaussianMath.normalKl(q.mean(), q.logVariance(), p.mean(), p.logVariance()), mask)
            .div(s(GaussianMath.LN2));
    Tensor atZero = indices(t).eq(s(0.0)); // (B)
    if (!atZero.any().item_bool()) {
      // the decoder term would be discarded for every sample: skip it and the ~25 full-size
      // tensors autograd would keep for it (most of this loss's memory)
      return kl;
    }
    Tensor nll =
        GaussianMath.meanFlat(
                GaussianMath.discretizedGaussianLogLikelihood(
                        x0, p.mean(), p.logVariance().mul(s(0.5)))
                    .neg(),
                mask)
            .div(s(GaussianMath.LN2));
    return torch.where(atZero, nll, kl);
  }

  /**
   * The training loss of IDDPM/DiT for a batch: {@code mse} of the prediction channels against
   * their target, plus, with a learned variance, the VLB term with the mean prediction detached
   * ({@code loss = mse + vb}, unweighted). Averages run over real elements only when a mask is
   * given, per sample, so a padded sample's loss equals its unpadded loss.
   *
   * @param x0 clean data {@code [B, C, ...]}
   * @param t timesteps of this process {@code [B]} (use {@link PerSampleRandom} to draw them)
   * @param noise standard normal noise shaped like {@code x0}
   * @param mask null, or {@code [B, 1|C, ...]} with 1 for real and 0 for padded elements
   */
  public Losses trainingLosses(Denoiser model, Tensor x0, Tensor t, Tensor noise, Tensor mask) {
    checkBatch(x0, t);
    Tensor xt = qSample(x0, t, noise);
    Tensor output = model.apply(xt, modelTimesteps(t));
    long[] xs = Shapes.of(x0);
    long c = xs[1];
    long[] want = xs.clone();
    want[1] = config.variance().learned() ? 2 * c : c;
    if (!Arrays.equals(want, Shapes.of(output))) {
      throw new IllegalArgumentException(
          "model output: expected shape "
              + Arrays.toString(want)
              + " for input "
              + Arrays.toString(xs)
              + ", found "
              + Arrays.toString(Shapes.of(output)));
    }
    // the loss in a scope of its own: its many full-size temporaries are freed as soon as it is
    // computed, not when the training step ends (autograd keeps the few it needs)
    Tensor[] l =
        Scopes.local(
            () -> {
              Tensor out = atLeastFloat(output);
              Tensor prediction = out;
              Tensor vb = null;
              if (config.variance().learned()) {
                prediction = out.narrow(1, 0, c);
                Tensor frozen;
                try (TensorVector parts =
                    new TensorVector(prediction.detach(), out.narrow(1, c, c))) {
                  frozen = torch.cat(parts, 1);
                }
                vb = vbTermsBpd(frozen, x0, xt, t, mask);
              }
              Tensor err = target(x0, t, noise).sub(prediction);
              Tensor mse = GaussianMath.meanFlat(err.mul(err), mask);
              return new Tensor[] {vb == null ? mse : mse.add(vb), mse, vb};
            });
    return new Losses(l[0], l[1], l[2]);
  }

  // ---------------------------------------------------------------- reverse steps

  /**
   * One ancestral (DDPM) step: {@code x_{t−1} = mean + σ·noise}, no noise at t = 0.
   *
   * @param noise standard normal like {@code xt}; may be null only when every t is 0
   */
  public Step pSample(Denoiser model, Tensor xt, Tensor t, Tensor noise, boolean clipDenoised) {
    PMeanVariance p = pMeanVariance(model, xt, t, clipDenoised);
    Tensor sample = p.mean();
    if (noise != null) {
      Tensor nonzero = nonzero(t, (int) xt.dim());
      sample = sample.add(nonzero.mul(p.logVariance().mul(s(0.5)).exp()).mul(noise));
    }
    return new Step(sample, p.predX0());
  }

  /**
   * One DDIM step (Song et al., eq. 12): {@code x_{t−1} = √ᾱ_{t−1}·x0 + √(1−ᾱ_{t−1}−σ²)·eps +
   * σ·noise} with {@code σ = η·√((1−ᾱ_{t−1})/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_{t−1})}; eps is re-derived from the
   * {@code x0} estimate whatever the model predicts. {@code η = 0} is deterministic.
   *
   * @param noise standard normal like {@code xt}; ignored (may be null) when {@code eta == 0}
   */
  public Step ddimSample(
      Denoiser model, Tensor xt, Tensor t, Tensor noise, double eta, boolean clipDenoised) {
    if (eta < 0) {
      throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
    }
    PMeanVariance p = pMeanVariance(model, xt, t, clipDenoised);
    int r = (int) xt.dim();
    Tensor eps = predictEps(xt, t, p.predX0());
    Tensor ab = extract(tAlphasCumprod, t, r);
    Tensor abPrev = extract(tAlphasCumprodPrev, t, r);
    Tensor oneMinusPrev = abPrev.neg().add(s(1.0));
    Tensor sample;
    if (eta == 0) {
      sample = p.predX0().mul(abPrev.sqrt()).add(oneMinusPrev.sqrt().mul(eps));
    } else {
      if (noise == null) {
        throw new IllegalArgumentException("DDIM with eta " + eta + " needs noise");
      }
      Tensor sigma =
          oneMinusPrev
              .div(ab.neg().add(s(1.0)))
              .sqrt()
              .mul(ab.div(abPrev).neg().add(s(1.0)).sqrt())
              .mul(s(eta));
      Tensor meanPred =
          p.predX0().mul(abPrev.sqrt()).add(oneMinusPrev.sub(sigma.mul(sigma)).sqrt().mul(eps));
      sample = meanPred.add(nonzero(t, r).mul(sigma).mul(noise));
    }
    return new Step(sample, p.predX0());
  }

  private Tensor nonzero(Tensor t, int rank) {
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    shape[0] = -1;
    return indices(t).ne(s(0.0)).to(ScalarType.Float).view(shape);
  }

  @Override
  public void close() {
    for (Tensor t :
        new Tensor[] {
          tAlphasCumprod,
          tAlphasCumprodPrev,
          tOneMinusAlphasCumprod,
          tLogOneMinusAlphasCumprod,
          tSqrtAlphasCumprod,
          tSqrtOneMinusAlphasCumprod,
          tSqrtRecipAlphasCumprod,
          tSqrtRecipm1AlphasCumprod,
          tPosteriorVariance,
          tPosteriorLogVarianceClipped,
          tPosteriorMeanCoef1,
          tPosteriorMeanCoef2,
          tLogBetas,
          tLargeVariance,
          tLargeLogVariance,
          tMap
        }) {
      if (!t.isNull()) {
        t.close();
      }
    }
    device.close();
  }

  /** For messages: {@code "1000-step linear eps learned-range, respaced to 250"}. */
  @Override
  public String toString() {
    String base =
        config.numTimesteps()
            + "-step "
            + config.schedule().id()
            + " "
            + config.prediction().id()
            + " "
            + config.variance().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    return identityMap ? base : base + ", respaced to " + numTimesteps();
  }
}
