package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTPresets;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code jsora model forward dit}: inputs {@code x} float32 {@code [B, C, T, H, W]}, {@code t}
 * {@code [B]} (int64 or float32), {@code text} float32 {@code [B, L, D]} ({@code [B, D]} for
 * adaln), optional {@code text_mask} {@code [B, L]} (1 = real); output {@code out} float32 {@code
 * [B, C_out, T, H, W]}. For a preset, {@code in_channels} and {@code text_embed_dim} are taken from
 * the inputs.
 */
final class DitForward implements ModelForwardKind {
  private static final Set<String> INPUTS = Set.of("x", "t", "text", "text_mask");

  @Override
  public String kind() {
    return "dit";
  }

  @Override
  public String summary() {
    return "DiT: x [B,C,T,H,W], t [B], text [B,L,D] ([B,D] for adaln), optional text_mask [B,L] -> out [B,C_out,T,H,W]";
  }

  @Override
  public Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException {
    for (String name : inputs.names()) {
      if (!INPUTS.contains(name)) {
        throw new IllegalArgumentException(
            "unexpected input '" + name + "'; dit takes x, t, text and optional text_mask");
      }
    }
    Tensor x = require(inputs, "x");
    Tensor t = require(inputs, "t");
    Tensor text = require(inputs, "text");
    Tensor mask = inputs.get("text_mask");
    DiTConfig cfg = config(config, preset, arch, x, text);
    DiT model = new DiT(cfg);
    model.to(device, false);
    try (Weights.Loaded w = Weights.read(weights)) {
      StrictLoader.load(model, w.tensors(), weights.toString());
    }
    model.eval();
    try (NoGradGuard g = new NoGradGuard()) {
      Tensor out =
          model.forward(
              x.to(device, ScalarType.Float),
              onDevice(t, device),
              text.to(device, ScalarType.Float),
              mask == null ? null : mask.to(device, ScalarType.Bool));
      Map<String, Tensor> result = new LinkedHashMap<>();
      result.put("out", out.to(ScalarType.Float).cpu().contiguous());
      return result;
    }
  }

  /** The config from {@code --config}, or a preset completed from the inputs' shapes. */
  static DiTConfig config(Path config, String preset, String arch, Tensor x, Tensor text)
      throws IOException {
    if (config != null && preset != null) {
      throw new IllegalArgumentException("give either --config or --model, not both");
    }
    if (config != null) {
      Path file = Files.isDirectory(config) ? config.resolve("config.json") : config;
      DiTConfig c = DiTConfig.read(file);
      if (arch != null && Arch.parse(arch) != c.modelArch()) {
        throw new IllegalArgumentException(
            "--arch " + arch + " disagrees with model_arch " + c.modelArch() + " in " + file);
      }
      return c;
    }
    if (arch == null) {
      throw new IllegalArgumentException(
          "--model " + preset + " needs --arch (adaln, cross-attn, token-concat or self-cross)");
    }
    return DiTPresets.forInputs(preset, Arch.parse(arch), Shapes.of(x), Shapes.of(text));
  }

  private static Tensor onDevice(Tensor t, Device device) {
    boolean floating = io.jsora.tensor.DType.of(t).isFloatingPoint();
    return t.to(device, floating ? ScalarType.Float : ScalarType.Long);
  }

  private static Tensor require(StateDict inputs, String name) {
    Tensor t = inputs.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "missing input '"
              + name
              + "'; found "
              + inputs.names()
              + ", expected x, t, text and optional text_mask");
    }
    return t;
  }
}
