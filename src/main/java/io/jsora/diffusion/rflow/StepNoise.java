package io.jsora.diffusion.rflow;

import io.jsora.diffusion.NoiseSource;
import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;

/**
 * Replays the noise of an earlier run: mask-aware sampling draws one standard normal tensor shaped
 * like z at every step (upstream's {@code randn_like}, whether or not a frame becomes active), and
 * a run is reproduced exactly when the same draws are fed back.
 */
public final class StepNoise {
  private StepNoise() {}

  /**
   * A noise source that returns {@code stepNoise[k − 1]} for call k (step k, 1-based, as {@link
   * NoiseSource} numbers sampler calls).
   *
   * @param stepNoise {@code [N, B, C, T, H, W]}: N ≥ the number of steps; stays owned by the caller
   *     and must outlive the sampling
   */
  public static NoiseSource replay(Tensor stepNoise) {
    long[] all = Shapes.of(stepNoise);
    if (all.length < 2) {
      throw new IllegalArgumentException(
          "step_noise: expected [N, B, C, T, H, W], found " + Arrays.toString(all));
    }
    return (shape, call) -> {
      long[] one = Arrays.copyOfRange(all, 1, all.length);
      if (!Arrays.equals(one, shape)) {
        throw new IllegalArgumentException(
            "step_noise: each step draws "
                + Arrays.toString(shape)
                + " but step_noise is "
                + Arrays.toString(all));
      }
      if (call < 1 || call > all[0]) {
        throw new IllegalArgumentException(
            "step_noise: step " + call + " needs noise, but step_noise holds " + all[0] + " steps");
      }
      return stepNoise.select(0, call - 1);
    };
  }
}
