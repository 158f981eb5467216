package io.jsora.diffusion;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Training randomness drawn per sample: each sample's timestep, noise and any other random choice
 * (e.g. caption dropout) come from its own stream keyed by {@code Seeds.mix(seed, stream, step,
 * globalSampleIndex)}. A sample's randomness is then the same whether it is trained in a batch of
 * 64 on one process or in a batch of 16 on each of 4 data-parallel ranks, and a resumed run draws
 * exactly what an uninterrupted one would, without saving any generator state.
 *
 * <p>{@code step} is the optimizer step (or micro-step, as the trainer chooses, but consistently);
 * {@code globalSampleIndex} numbers the samples of that step across all ranks, {@code
 * 0..B_global−1}.
 *
 * <p>Timesteps and uniforms use Java's {@link SplittableRandom}; noise uses a libtorch CPU
 * generator per sample (then moved to the device), so CPU and GPU runs train on identical noise.
 */
public final class PerSampleRandom {
  /** Stream ids; a new kind of random choice takes a new id so existing streams stay unchanged. */
  public static final long TIMESTEP_STREAM = 1;

  public static final long NOISE_STREAM = 2;
  public static final long DROPOUT_STREAM = 3;

  /** Used by {@link NoiseSource#perSample} for sampling (call index in place of the step). */
  public static final long SAMPLING_STREAM = 4;

  /** Training frame masks (rectified flow's mask types and their lengths and places). */
  public static final long MASK_STREAM = 5;

  private final long seed;

  public PerSampleRandom(long seed) {
    this.seed = seed;
  }

  public long seed() {
    return seed;
  }

  /** The seed of one sample's stream. */
  public long streamSeed(long stream, long step, long sampleIndex) {
    return Seeds.mix(seed, stream, step, sampleIndex);
  }

  /** Consecutive global indices {@code first, first+1, …}: a rank's slice of the global batch. */
  public static long[] range(long first, int count) {
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = first + i;
    }
    return out;
  }

  /**
   * Uniform timesteps in {@code [0, numTimesteps)}, int64 {@code [B]} on {@code device}; caller's
   * scope.
   */
  public Tensor timesteps(long step, long[] sampleIndices, int numTimesteps, Device device) {
    if (numTimesteps < 1) {
      throw new IllegalArgumentException("numTimesteps must be >= 1, got " + numTimesteps);
    }
    long[] t = new long[sampleIndices.length];
    for (int b = 0; b < t.length; b++) {
      t[b] =
          new SplittableRandom(streamSeed(TIMESTEP_STREAM, step, sampleIndices[b]))
              .nextInt(numTimesteps);
    }
    try (Tensor cpu = io.jsora.tensor.Tensors.of(t, t.length)) {
      return cpu.to(device, ScalarType.Long);
    }
  }

  /**
   * Standard normal float32 noise {@code [B, ...sampleShape]} on {@code device}, sample {@code b}
   * drawn from its own stream; caller's scope.
   */
  public Tensor noise(long step, long[] sampleIndices, long[] sampleShape, Device device) {
    return normal(
        sampleShape,
        device,
        b -> streamSeed(NOISE_STREAM, step, sampleIndices[(int) b]),
        sampleIndices.length);
  }

  /**
   * A uniform double in [0, 1) for sample {@code sampleIndex} on another stream (e.g. {@link
   * #DROPOUT_STREAM}).
   */
  public double uniform(long stream, long step, long sampleIndex) {
    return new SplittableRandom(streamSeed(stream, step, sampleIndex)).nextDouble();
  }

  /** Stacks one CPU normal draw per sample, each from its own seeded generator. */
  static Tensor normal(long[] sampleShape, Device device, LongUnaryOperator seedOf, int batch) {
    Tensor stacked;
    try (PointerScope s = new PointerScope()) {
      TensorVector parts = new TensorVector();
      TensorOptions o = new TensorOptions(ScalarType.Float);
      for (int b = 0; b < batch; b++) {
        Generator g = torch.createCPUGenerator(seedOf.applyAsLong(b));
        parts.push_back(torch.randn(sampleShape, new GeneratorOptional(g), o));
      }
      stacked = Scopes.keep(torch.stack(parts, 0));
    }
    // leave the scope with one reference, then hand the device copy to the caller's scope
    try (Tensor cpu = stacked) {
      return cpu.to(device, ScalarType.Float);
    }
  }
}
