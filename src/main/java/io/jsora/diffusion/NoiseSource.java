package io.jsora.diffusion;

import io.jsora.tensor.Seeds;
import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Where a sampler's standard normal noise comes from. Call {@code 0} draws the starting point
 * {@code x_T}; call {@code k ≥ 1} the noise of the k-th reverse step (1-based, in sampling order).
 */
@FunctionalInterface
public interface NoiseSource {
  /**
   * Standard normal float32 noise of {@code shape} ({@code [B, C, ...]}) on the sampler's device,
   * created in the caller's scope.
   */
  Tensor draw(long[] shape, int call);

  /**
   * Noise from one generator in call order, as {@code torch.randn(shape, generator=g)}: the whole
   * batch shares the stream, so a sample's noise depends on the batch layout. The generator and the
   * device stay owned by the caller and must outlive the sampling.
   */
  static NoiseSource fromGenerator(Generator generator, Device device) {
    return (shape, call) -> {
      // draw on the generator's own device (a CUDA generator needs a CUDA tensor), then move
      try (GeneratorOptional g = new GeneratorOptional(generator);
          Device gd = generator.device();
          TensorOptions base = new TensorOptions(gd);
          ScalarTypeOptional f = new ScalarTypeOptional(ScalarType.Float);
          TensorOptions o = base.dtype(f);
          Tensor drawn = torch.randn(shape, g, o)) {
        return drawn.to(device, ScalarType.Float);
      }
    };
  }

  /**
   * Noise drawn per sample from {@code (seed, call, sampleIndex)}, on the CPU and then moved to the
   * device: sample {@code sampleIndices[b]} gets the same noise whatever batch it is sampled in, on
   * any number of ranks and on any device.
   */
  static NoiseSource perSample(long seed, long[] sampleIndices, Device device) {
    long[] indices = sampleIndices.clone();
    return (shape, call) -> {
      if (shape[0] != indices.length) {
        throw new IllegalArgumentException(
            "noise: batch of "
                + shape[0]
                + " but "
                + indices.length
                + " sample indices were given");
      }
      long[] one = Arrays.copyOfRange(shape, 1, shape.length);
      return PerSampleRandom.normal(
          one,
          device,
          b -> Seeds.mix(seed, PerSampleRandom.SAMPLING_STREAM, call, indices[(int) b]),
          indices.length);
    };
  }
}
