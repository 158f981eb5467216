package io.jsora.diffusion.rflow;

import io.jsora.diffusion.Guidance;
import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.SamplingProgress;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Open-Sora 1.2's sampler ({@code RFLOW.sample}): Euler steps along the learned velocity from noise
 * (t = N) to data (t = 0), with classifier-free guidance, optionally conditioned on frames through
 * a frame mask. One {@link PointerScope} and no autograd per step.
 *
 * <p>Step i, with {@code z} of B samples and the schedule's {@code t_i}, {@code dt_i}:
 *
 * <pre>
 *   out      = model([z; z], [t_i; t_i], x_mask)         2B rows: real conditions, then null ones
 *   v_c, v_u = out[:B, :C], out[B:, :C]
 *   z        = z + (v_u + s·(v_c − v_u))·dt_i
 * </pre>
 *
 * <p><b>Frame mask</b> {@code m ∈ [0, 1]^{B×T}} (edit ratio per latent frame; 1 = generate, 0 =
 * keep the frame z holds, e.g. a pasted reference latent). Before the model call {@code x0 = z};
 * frame f is <i>active</i> at step i when {@code N·m_f ≥ t_i}; a frame becoming active at this step
 * (never one with m = 1, active from the start) is replaced by {@code (1 − t_i/N)·x0 + (t_i/N)·ε}
 * with fresh noise ε, i.e. re-noised to the current level; the model gets {@code x_mask = active}
 * (both halves); after the update inactive frames are reset to {@code x0}. So m = 0 frames stay
 * exactly as given and 0 &lt; m &lt; 1 frames are kept until {@code t ≤ N·m}, then denoised with
 * the rest. As upstream, ε is drawn at every step of a masked run (call i+1 of the {@link
 * NoiseSource}), so a replayed run needs one draw per step; an unmasked run draws none.
 */
public final class RFlowSampler {
  private final RFlowSchedule schedule;
  private final double guidanceScale;

  /**
   * @param schedule the timesteps, one column per sample of the batch to sample
   * @param guidanceScale s (upstream {@code cfg_scale}; 1.0 is the conditional model alone)
   */
  public RFlowSampler(RFlowSchedule schedule, double guidanceScale) {
    if (!Double.isFinite(guidanceScale)) {
      throw new IllegalArgumentException(
          "rectified flow: guidance scale must be finite, got " + guidanceScale);
    }
    this.schedule = schedule;
    this.guidanceScale = guidanceScale;
  }

  /**
   * The sampler {@code config} describes for a batch of {@code sizes}, guided with its {@code
   * cfg_scale}.
   */
  public static RFlowSampler of(
      RFlowConfig config, List<VideoSize> sizes, SizePrecision precision) {
    return new RFlowSampler(RFlowSchedule.forSampling(config, sizes, precision), config.cfgScale());
  }

  public RFlowSchedule schedule() {
    return schedule;
  }

  public double guidanceScale() {
    return guidanceScale;
  }

  /**
   * Runs every step from {@code z}.
   *
   * @param model called on the doubled batch ({@code 2B} rows: B real conditions then B null ones)
   * @param z the starting point {@code [B, C, T, H, W]}: noise, with any reference latents pasted
   *     into the frames the mask keeps; not closed
   * @param frameMask null, or edit ratios {@code [B, T]} in [0, 1] (any float dtype)
   * @param noise the re-noising draws of a masked run (one per step: {@link StepNoise#replay} or
   *     {@link NoiseSource#fromGenerator}); unused, and may be null, without a frame mask
   * @param progress told after each step, with the first sample's timestep
   * @return the sample {@code [B, C, T, H, W]}, a new tensor the caller owns (close it)
   */
  public Tensor sample(
      FlowModel model, Tensor z, Tensor frameMask, NoiseSource noise, SamplingProgress progress) {
    long[] shape = Shapes.of(z);
    if (shape.length != 5) {
      throw new IllegalArgumentException(
          "rectified flow: z must be [B, C, T, H, W], found " + Arrays.toString(shape));
    }
    long b = shape[0];
    long c = shape[1];
    long frames = shape[2];
    if (b != schedule.batch()) {
      throw new IllegalArgumentException(
          "rectified flow: z has batch " + b + " but the schedule is for " + schedule.batch());
    }
    if (frameMask != null) {
      checkMask(frameMask, b, frames);
      if (noise == null) {
        throw new IllegalArgumentException(
            "rectified flow: a frame mask needs a noise source (one draw per step)");
      }
    }
    Device device = z.device();
    int steps = schedule.steps();
    Tensor maskT = null; // N·m [B, T]
    Tensor noiseAdded = null; // bool [B, T]: frames already re-noised (or generated from the start)
    if (frameMask != null) {
      try (PointerScope s = new PointerScope()) {
        Tensor m = frameMask.to(device, ScalarType.Float);
        maskT = Scopes.keep(m.mul(new Scalar((double) schedule.numTimesteps())));
        noiseAdded = Scopes.keep(m.eq(new Scalar(1.0)));
      }
    }
    Tensor x = z;
    try {
      for (int i = 0; i < steps; i++) {
        Tensor next;
        Tensor added = null;
        try (PointerScope s = new PointerScope();
            NoGradGuard g = new NoGradGuard()) {
          Tensor t = schedule.timestepTensor(i, device); // [B]
          Tensor x0 = x; // [B, C, T, H, W]
          Tensor cur = x;
          Tensor active = null; // bool [B, T]
          Tensor xMask = null; // bool [2B, T]
          if (maskT != null) {
            Tensor eps = noise.draw(shape, i + 1).to(device, x0.scalar_type()); // [B, C, T, H, W]
            Tensor renoised =
                RFlowTraining.addNoise(x0, eps, t, schedule.numTimesteps()); // [B, C, T, H, W]
            active = maskT.ge(t.unsqueeze(1)); // [B, T]
            xMask = active.repeat(2, 1); // [2B, T]
            Tensor fresh = active.logical_and(noiseAdded.logical_not()); // [B, T]
            cur = torch.where(frames(fresh, b, frames), renoised, x0); // [B, C, T, H, W]
            added = Scopes.keep(active);
          }
          Tensor xx;
          Tensor tt;
          try (TensorVector xs = new TensorVector(cur, cur);
              TensorVector ts = new TensorVector(t, t)) {
            xx = torch.cat(xs, 0); // [2B, C, T, H, W]
            tt = torch.cat(ts, 0); // [2B]
          }
          Tensor out = model.apply(xx, tt, xMask); // [2B, C | 2C, T, H, W]
          Tensor v =
              Guidance.combine(velocity(out, shape), guidanceScale, (int) c); // [B, C, T, H, W]
          Tensor dt = schedule.dtTensor(i, device).view(b, 1, 1, 1, 1); // [B, 1, 1, 1, 1]
          Tensor stepped = cur.add(v.mul(dt)); // [B, C, T, H, W]
          if (active != null) {
            stepped = torch.where(frames(active, b, frames), stepped, x0); // [B, C, T, H, W]
          }
          next = Scopes.keep(stepped);
        }
        if (x != z) {
          x.close();
        }
        x = next;
        if (added != null) {
          noiseAdded.close();
          noiseAdded = added;
        }
        progress.onStep(i + 1, steps, (int) Math.round(schedule.timesteps(i)[0]));
      }
      Tensor result = x;
      x = z;
      return result;
    } finally {
      if (x != z) {
        x.close();
      }
      if (maskT != null) {
        maskT.close();
        noiseAdded.close();
      }
    }
  }

  /** The first C channels of the doubled model output, after checking its shape. */
  private static Tensor velocity(Tensor out, long[] zShape) {
    long[] s = Shapes.of(out);
    long c = zShape[1];
    boolean ok =
        s.length == 5
            && s[0] == 2 * zShape[0]
            && (s[1] == c || s[1] == 2 * c)
            && s[2] == zShape[2]
            && s[3] == zShape[3]
            && s[4] == zShape[4];
    if (!ok) {
      throw new IllegalArgumentException(
          "rectified flow: model output for the doubled batch must be ["
              + 2 * zShape[0]
              + ", "
              + c
              + " or "
              + 2 * c
              + ", "
              + zShape[2]
              + ", "
              + zShape[3]
              + ", "
              + zShape[4]
              + "], found "
              + Arrays.toString(s));
    }
    return s[1] == c ? out : out.narrow(1, 0, c);
  }

  /** A [B, T] frame selector broadcast over channels and space: [B, 1, T, 1, 1]. */
  private static Tensor frames(Tensor perFrame, long b, long t) {
    return perFrame.view(b, 1, t, 1, 1);
  }

  private static void checkMask(Tensor frameMask, long b, long t) {
    long[] s = Shapes.of(frameMask);
    if (s.length != 2 || s[0] != b || s[1] != t) {
      throw new IllegalArgumentException(
          "rectified flow: frame mask must be ["
              + b
              + ", "
              + t
              + "] (batch, latent frames),"
              + " found "
              + Arrays.toString(s));
    }
    double min;
    double max;
    try (PointerScope scope = new PointerScope()) {
      min = frameMask.min().item_double();
      max = frameMask.max().item_double();
    }
    if (!(min >= 0 && max <= 1)) {
      throw new IllegalArgumentException(
          "rectified flow: frame mask edit ratios must lie in [0, 1], found min "
              + min
              + ", max "
              + max);
    }
  }

  @Override
  public String toString() {
    return "rectified flow, " + schedule.steps() + " Euler steps, guidance " + guidanceScale;
  }
}
