package io.jsora.pipeline;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What one {@link Os12Pipeline#generate} call made; owns its tensors.
 *
 * @param video {@code uint8 [B, T, H, W, 3]} on the CPU: clip 0, then each later clip without the
 *     frames it carried over
 * @param latents per clip the sampled latent {@code [B, C, T', H', W']} (float32, CPU)
 * @param referenceLatents per reference its VAE latent {@code [C, T_ref, H', W']} as pasted into
 *     the noise (float32, CPU)
 */
public record Os12Result(Tensor video, List<Tensor> latents, List<Tensor> referenceLatents)
    implements AutoCloseable {
  public Os12Result {
    latents = List.copyOf(latents);
    referenceLatents = List.copyOf(referenceLatents);
  }

  @Override
  public void close() {
    video.close();
    latents.forEach(Tensor::close);
    referenceLatents.forEach(Tensor::close);
  }
}
