package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * One model kind runnable by {@code jsora model forward KIND}: builds the model from a config,
 * loads weights strictly, runs one forward pass in eval mode and returns named outputs.
 */
interface ModelForwardKind {
  /** The KIND argument, e.g. {@code dit}, {@code clip-text}, {@code vqvae-encode}. */
  String kind();

  /** One line for {@code --help}. */
  String summary();

  /**
   * Runs the forward pass.
   *
   * @param config the model's config JSON file (or null where {@code preset} stands instead)
   * @param preset a preset name such as {@code DiT-S/8}, or null
   * @param arch an architecture for presets, or null
   * @param weights the weights file (safetensors or torch.save)
   * @param inputs named input tensors (still owned by the caller)
   * @return named output tensors; the caller owns them
   */
  Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException;

  /**
   * What a sampling kind ({@code stdit3-sample}) takes besides the inputs; all null for the others.
   */
  record Sampling(Integer steps, Double cfgScale, Long seed) {
    static final Sampling NONE = new Sampling(null, null, null);

    boolean given() {
      return steps != null || cfgScale != null || seed != null;
    }
  }

  /** Runs the kind with sampling options; kinds that do not sample refuse them. */
  default Map<String, Tensor> forward(
      Path config,
      String preset,
      String arch,
      Path weights,
      StateDict inputs,
      Device device,
      Sampling sampling)
      throws IOException {
    if (sampling.given()) {
      throw new IllegalArgumentException(
          "--steps, --cfg-scale and --seed apply to sampling kinds (stdit3-sample) only, not "
              + kind());
    }
    return forward(config, preset, arch, weights, inputs, device);
  }
}
