package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code jsora model forward stdit3}: inputs {@code x} {@code [B, C, T, H, W]}, {@code timestep}
 * {@code [B]} float, {@code y} {@code [B, 1, L, D]}, {@code mask} {@code [B, L]} int64 (1 = real
 * token; {@code [B/k, L]} is tiled), optional {@code x_mask} {@code [B, T]} bool, {@code fps},
 * {@code height}, {@code width} {@code [B]}; output {@code out} float32 {@code [B, C_out, T, H,
 * W]}. The config is the checkpoint's {@code config.json} (or {@code --model STDiT3-XL/2}).
 */
final class Stdit3Forward implements ModelForwardKind {
  private static final List<String> REQUIRED =
      List.of("x", "timestep", "y", "mask", "fps", "height", "width");
  private static final Set<String> INPUTS =
      Set.of("x", "timestep", "y", "mask", "x_mask", "fps", "height", "width");

  @Override
  public String kind() {
    return "stdit3";
  }

  @Override
  public String summary() {
    return "STDiT3: x [B,C,T,H,W], timestep [B], y [B,1,L,D], mask [B,L], optional x_mask [B,T], fps/height/width [B] -> out";
  }

  @Override
  public Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException {
    for (String name : inputs.names()) {
      if (!INPUTS.contains(name)) {
        throw new IllegalArgumentException(
            "unexpected input '" + name + "'; stdit3 takes " + REQUIRED + " and optional x_mask");
      }
    }
    for (String name : REQUIRED) {
      if (inputs.get(name) == null) {
        throw new IllegalArgumentException(
            "missing input '"
                + name
                + "'; found "
                + inputs.names()
                + ", expected "
                + REQUIRED
                + " and optional x_mask");
      }
    }
    if (arch != null) {
      throw new IllegalArgumentException("--arch applies to dit only; stdit3 has one architecture");
    }
    STDiT3Config cfg = config(config, preset);
    try (STDiT3 model = new STDiT3(cfg)) {
      model.to(device, false);
      try (Weights.Loaded w = Weights.read(weights)) {
        StrictLoader.load(model, w.tensors(), weights.toString());
      }
      model.eval();
      try (NoGradGuard g = new NoGradGuard()) {
        Tensor xMask = inputs.get("x_mask");
        Tensor out =
            model.forward(
                inputs.get("x").to(device, ScalarType.Float),
                floats(inputs, "timestep", device),
                inputs.get("y").to(device, ScalarType.Float),
                inputs.get("mask").to(device, ScalarType.Long),
                xMask == null ? null : xMask.to(device, ScalarType.Bool),
                floats(inputs, "fps", device),
                floats(inputs, "height", device),
                floats(inputs, "width", device));
        Map<String, Tensor> result = new LinkedHashMap<>();
        result.put("out", out.to(ScalarType.Float).cpu().contiguous());
        return result;
      }
    }
  }

  /**
   * The config from {@code --config} (a file or a checkpoint directory), or the STDiT3-XL/2 preset.
   */
  static STDiT3Config config(Path config, String preset) throws IOException {
    if (config != null && preset != null) {
      throw new IllegalArgumentException("give either --config or --model, not both");
    }
    if (config != null) {
      return STDiT3Config.read(config);
    }
    return Stdit3Info.preset(preset);
  }

  private static Tensor floats(StateDict inputs, String name, Device device) {
    return inputs.get(name).to(device, ScalarType.Float);
  }
}
