package io.jsora.diffusion.rflow;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Open-Sora 1.2's training objective ({@code RFlowScheduler.training_losses}): the straight path
 * {@code x_t = (1 − t/N)·x0 + (t/N)·ε} between data and noise, and the model regressed onto its
 * constant velocity {@code x0 − ε}:
 *
 * <pre>
 *   loss_b = Σ_{f: mask_bf} Σ_{c,h,w} (v̂ − (x0 − ε))² / (#{f: mask_bf} · C·H·W)
 * </pre>
 *
 * <p>With a frame mask (true = generated, false = condition) the condition frames of {@code x_t}
 * are the clean {@code x0} (the path at t = 0), the model gets the mask as {@code x_mask}, and only
 * generated frames count in the loss. There is no variational-bound term.
 */
public final class RFlowTraining {
  private final RFlowConfig config;

  public RFlowTraining(RFlowConfig config) {
    this.config = config;
  }

  public RFlowConfig config() {
    return config;
  }

  /**
   * Draws training timesteps as upstream does when it is given none, then transforms them with each
   * sample's size when {@code use_timestep_transform} is on: uniform {@code rand(B)·N}, integers
   * {@code randint(0, N, B)} with discrete timesteps, or logit-normal {@code clamp(sigmoid(loc +
   * scale·randn(B)), tiny, 1 − eps)·N} (torch's {@code LogisticNormal}); the same draws as
   * upstream's calls on a CPU generator seeded alike.
   *
   * @param generator a CPU generator, advanced by one draw of B numbers; not closed
   * @param sizes one per sample (used only with the transform on)
   * @return float32 {@code [B]} on {@code device}, in the caller's scope
   */
  public Tensor sampleTimesteps(
      Generator generator, List<VideoSize> sizes, SizePrecision precision, Device device) {
    int b = sizes.size();
    if (b < 1) {
      throw new IllegalArgumentException("rectified flow: no video sizes (batch of 0)");
    }
    int n = config.numTimesteps();
    double[] raw;
    try (PointerScope s = new PointerScope()) {
      GeneratorOptional g = new GeneratorOptional(generator);
      TensorOptions f32 = new TensorOptions(ScalarType.Float);
      long[] shape = {b};
      Tensor t;
      if (config.useDiscreteTimesteps()) {
        t = torch.randint(0, n, shape, g, new TensorOptions(ScalarType.Long));
      } else if (config.sampleMethod() == SampleMethod.UNIFORM) {
        t = torch.rand(shape, g, f32).mul(new Scalar((double) n));
      } else {
        float tiny = Float.MIN_NORMAL;
        float eps = Math.ulp(1f);
        Tensor normal =
            torch
                .randn(shape, g, f32)
                .mul(new Scalar(config.scale()))
                .add(new Scalar(config.loc()));
        t =
            torch
                .sigmoid(normal)
                .clamp(
                    new ScalarOptional(new Scalar((double) tiny)),
                    new ScalarOptional(new Scalar((double) (1f - eps))))
                .mul(new Scalar((double) n));
      }
      raw = Tensors.toDoubles(t.to(ScalarType.Float));
    }
    float[] out = new float[b];
    for (int i = 0; i < b; i++) {
      out[i] = (float) raw[i];
      if (config.useTimestepTransform()) {
        float ratio = TimestepTransform.ratio(sizes.get(i), config.transformScale(), precision);
        out[i] = TimestepTransform.apply(out[i], ratio, n, precision);
      }
    }
    try (Tensor cpu = Tensors.of(out, b)) {
      return cpu.to(device, ScalarType.Float);
    }
  }

  /**
   * The point of the path at t: {@code a·x0 + (1 − a)·ε} with {@code a = 1 − t/N}, as upstream's
   * {@code add_noise} computes it (float32 coefficients).
   *
   * @param t {@code [B]} timesteps on the scale 0 … N
   * @return shaped like {@code x0}, in the caller's scope
   */
  public static Tensor addNoise(Tensor x0, Tensor noise, Tensor t, int numTimesteps) {
    long[] s = Shapes.of(x0);
    long[] view = new long[s.length];
    Arrays.fill(view, 1);
    view[0] = s[0];
    Tensor keep =
        t.to(ScalarType.Float)
            .div(new Scalar((double) numTimesteps))
            .neg()
            .add(new Scalar(1.0))
            .view(view);
    Tensor drop = keep.neg().add(new Scalar(1.0));
    return keep.mul(x0).add(drop.mul(noise));
  }

  /**
   * The loss for clean latents {@code x0} at timesteps {@code t} with noise {@code noise}.
   *
   * @param model called once on {@code x_t} (B rows) with {@code xMask = frameMask}
   * @param x0 {@code [B, C, T, H, W]}
   * @param noise standard normal, shaped like {@code x0}
   * @param t {@code [B]} timesteps in [0, N] (from {@link #sampleTimesteps}, or fixed; used as
   *     given)
   * @param frameMask null, or bool {@code [B, T]}: true for generated frames, false for condition
   *     frames (from {@link MaskGenerator}); every row needs a true frame
   */
  public FlowLoss losses(FlowModel model, Tensor x0, Tensor noise, Tensor t, Tensor frameMask) {
    long[] s = Shapes.of(x0);
    if (s.length != 5) {
      throw new IllegalArgumentException(
          "rectified flow: x0 must be [B, C, T, H, W], found " + Arrays.toString(s));
    }
    if (!Arrays.equals(s, Shapes.of(noise))) {
      throw new IllegalArgumentException(
          "rectified flow: noise "
              + Arrays.toString(Shapes.of(noise))
              + " does not match x0 "
              + Arrays.toString(s));
    }
    Shapes.check(t, "rectified flow: t", s[0]);
    if (frameMask != null) {
      Shapes.check(frameMask, "rectified flow: frame mask", s[0], s[2]);
    }
    // the model runs in the caller's scope, not a local one: what it leaves for backward (the
    // hooks of activation checkpointing, the tensors they saved) must live until backward
    Tensor tf = t.to(ScalarType.Float); // [B]
    Tensor xt0 = addNoise(x0, noise, tf, config.numTimesteps()); // [B, C, T, H, W]
    Tensor m = frameMask == null ? null : frameMask.to(ScalarType.Bool); // bool [B, T]
    // the path at t = 0 is 1·x0 + 0·ε = x0 exactly
    Tensor xt =
        m == null ? xt0 : torch.where(m.view(s[0], 1, s[2], 1, 1), xt0, x0); // [B, C, T, H, W]
    Tensor out = model.apply(xt, tf, m); // [B, C | 2C, T, H, W]
    long[] os = Shapes.of(out);
    if (os.length != 5
        || os[0] != s[0]
        || (os[1] != s[1] && os[1] != 2 * s[1])
        || os[2] != s[2]
        || os[3] != s[3]
        || os[4] != s[4]) {
      throw new IllegalArgumentException(
          "rectified flow: model output must be ["
              + s[0]
              + ", "
              + s[1]
              + " or "
              + 2 * s[1]
              + ", "
              + s[2]
              + ", "
              + s[3]
              + ", "
              + s[4]
              + "], found "
              + Arrays.toString(os));
    }
    Tensor[] r =
        Scopes.local(
            () -> {
              Tensor v = out.narrow(1, 0, s[1]); // [B, C, T, H, W]
              Tensor err = v.sub(x0.sub(noise)); // [B, C, T, H, W]
              Tensor sq = err.mul(err);
              long[] dims = {1, 2, 3, 4};
              Tensor loss;
              if (m == null) {
                loss = sq.mean(dims, false, new ScalarTypeOptional()); // [B]
              } else {
                Tensor mf = m.to(sq.scalar_type()).view(s[0], 1, s[2], 1, 1); // [B, 1, T, 1, 1]
                Tensor count =
                    m.to(ScalarType.Float)
                        .sum(new long[] {1}, false, new ScalarTypeOptional())
                        .mul(new Scalar((double) (s[1] * s[3] * s[4]))); // [B]
                loss = sq.mul(mf).sum(dims, false, new ScalarTypeOptional()).div(count); // [B]
              }
              return new Tensor[] {loss};
            });
    return new FlowLoss(r[0], tf);
  }
}
