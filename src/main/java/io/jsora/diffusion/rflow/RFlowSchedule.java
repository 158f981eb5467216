package io.jsora.diffusion.rflow;

import io.jsora.tensor.Tensors;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The timesteps of one sampling run, per step and per sample: {@code t_i = (1 − i/n)·N} for {@code
 * i = 0 … n−1} (n = {@code num_sampling_steps}, N = {@code num_timesteps}; 1000, 966.7, …, 33.3 for
 * 30 steps), rounded to integers with discrete timesteps, then transformed per sample with its
 * video size when the transform is on. The values are float32 (held in {@code double}), the
 * precision upstream's timestep tensors have, so the model sees the same numbers.
 *
 * <p>Step i moves the sample by {@code dt_i = (t_i − t_{i+1})/N}, the last step by {@code
 * t_{n−1}/N}, so the path ends at t = 0 whatever the transform did.
 */
public final class RFlowSchedule {
  private final double[][] timesteps; // [step][sample]
  private final int numTimesteps;

  private RFlowSchedule(double[][] timesteps, int numTimesteps) {
    this.timesteps = timesteps;
    this.numTimesteps = numTimesteps;
  }

  /**
   * The schedule {@code config} gives a batch of videos of {@code sizes} (one per sample; the sizes
   * matter only with the transform on).
   *
   * @param precision the number type of the sizes (upstream inference: {@link
   *     SizePrecision#BFLOAT16})
   * @throws IllegalArgumentException if images and videos are mixed in one batch (upstream decides
   *     "image" from the first sample for all), or a size the transform rejects
   */
  public static RFlowSchedule forSampling(
      RFlowConfig config, List<VideoSize> sizes, SizePrecision precision) {
    if (sizes.isEmpty()) {
      throw new IllegalArgumentException("rectified-flow schedule: no video sizes (batch of 0)");
    }
    boolean image = sizes.get(0).isImage();
    for (int b = 0; b < sizes.size(); b++) {
      if (sizes.get(b).isImage() != image) {
        throw new IllegalArgumentException(
            "rectified-flow schedule: sample "
                + b
                + " has "
                + sizes.get(b).numFrames()
                + " frames but sample 0 has "
                + sizes.get(0).numFrames()
                + "; images and videos cannot share a batch");
      }
    }
    int n = config.numSamplingSteps();
    int total = config.numTimesteps();
    float[] ratios = new float[sizes.size()];
    if (config.useTimestepTransform()) {
      for (int b = 0; b < ratios.length; b++) {
        ratios[b] = TimestepTransform.ratio(sizes.get(b), config.transformScale(), precision);
      }
    }
    double[][] t = new double[n][sizes.size()];
    for (int i = 0; i < n; i++) {
      double raw = (1.0 - (double) i / n) * total;
      if (config.useDiscreteTimesteps()) {
        raw = Math.rint(raw); // Python's round(): half to even
      }
      for (int b = 0; b < ratios.length; b++) {
        float ti = (float) raw;
        t[i][b] =
            config.useTimestepTransform()
                ? TimestepTransform.apply(ti, ratios[b], total, precision)
                : ti;
      }
    }
    return new RFlowSchedule(t, total);
  }

  /** Number of Euler steps. */
  public int steps() {
    return timesteps.length;
  }

  /** Number of samples the schedule is for. */
  public int batch() {
    return timesteps[0].length;
  }

  public int numTimesteps() {
    return numTimesteps;
  }

  /** The timesteps of step {@code i} (0-based), one per sample; a copy. */
  public double[] timesteps(int i) {
    return timesteps[check(i)].clone();
  }

  /**
   * Step {@code i}'s float32 step size per sample: {@code (t_i − t_{i+1})/N}, the last {@code
   * t_{n−1}/N}.
   */
  public double[] dt(int i) {
    check(i);
    double[] out = new double[batch()];
    for (int b = 0; b < out.length; b++) {
      float next = i + 1 < steps() ? (float) timesteps[i + 1][b] : 0f;
      out[b] = ((float) timesteps[i][b] - next) / (float) numTimesteps;
    }
    return out;
  }

  /**
   * Step {@code i}'s timesteps as a float32 {@code [B]} tensor on {@code device}, in the caller's
   * scope.
   */
  public Tensor timestepTensor(int i, Device device) {
    return floats(timesteps(i), device);
  }

  /**
   * Step {@code i}'s step sizes as a float32 {@code [B]} tensor on {@code device}, in the caller's
   * scope.
   */
  public Tensor dtTensor(int i, Device device) {
    return floats(dt(i), device);
  }

  private static Tensor floats(double[] v, Device device) {
    float[] f = new float[v.length];
    for (int k = 0; k < f.length; k++) {
      f[k] = (float) v[k];
    }
    try (Tensor cpu = Tensors.of(f, f.length)) {
      return cpu.to(device, ScalarType.Float);
    }
  }

  private int check(int i) {
    if (i < 0 || i >= steps()) {
      throw new IndexOutOfBoundsException(
          "rectified-flow schedule: step " + i + " not in 0.." + (steps() - 1));
    }
    return i;
  }

  @Override
  public String toString() {
    return "rectified flow, "
        + steps()
        + " steps, first sample's t = "
        + Arrays.toString(column(0));
  }

  private double[] column(int b) {
    double[] c = new double[steps()];
    for (int i = 0; i < c.length; i++) {
      c[i] = timesteps[i][b];
    }
    return c;
  }
}
