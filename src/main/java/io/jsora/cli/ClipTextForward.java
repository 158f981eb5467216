package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.model.text.ClipTextConfig;
import io.jsora.model.text.ClipTextEncoder;
import io.jsora.model.text.ClipTextModel;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code jsora model forward clip-text}: the CLIP text model on given token ids. Inputs {@code
 * input_ids} int64 {@code [B, L]} and optionally {@code attention_mask} {@code [B, L]}; outputs
 * {@code last_hidden_state} {@code [B, L, D]} and {@code pooler_output} {@code [B, D]}, as
 * upstream's {@code CLIPTextModel} names them. {@code --config} is a {@code config.json} (whole
 * CLIP or text-only) or a model directory; {@code --model openai/clip-vit-base-patch32} stands for
 * that model's config; {@code --weights} a file or a model directory.
 */
final class ClipTextForward implements ModelForwardKind {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String LAST_HIDDEN_STATE = "last_hidden_state";
  static final String POOLER_OUTPUT = "pooler_output";

  @Override
  public String kind() {
    return "clip-text";
  }

  @Override
  public String summary() {
    return "CLIP text model: input_ids [B, L] (+ attention_mask) -> last_hidden_state [B, L, D], pooler_output [B, D]";
  }

  @Override
  public Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException {
    ClipTextConfig cfg = config != null ? ClipTextConfig.read(config) : ClipInfo.preset(preset);
    Tensor ids = inputs.get(INPUT_IDS);
    if (ids == null) {
      throw new IllegalArgumentException(
          "inputs: no tensor '" + INPUT_IDS + "' (found " + inputs.names() + ")");
    }
    DType dt = DType.of(ids);
    if (dt != DType.I64 && dt != DType.I32) {
      throw new IllegalArgumentException(
          INPUT_IDS + ": expected int64 token ids, found " + dt.safetensorsName());
    }
    Tensor mask = inputs.get(ATTENTION_MASK);
    if (mask != null) {
      Shapes.check(mask, ATTENTION_MASK, Shapes.of(ids));
    }
    Path w = Files.isDirectory(weights) ? ClipTextEncoder.weightsFile(weights) : weights;
    // outputs are made in the command's scope, which owns them
    try (ClipTextModel model = ClipTextModel.load(cfg, w, device);
        NoGradGuard g = new NoGradGuard()) {
      ClipTextModel.Output out = model.forward(ids, mask);
      Map<String, Tensor> result = new LinkedHashMap<>();
      result.put(LAST_HIDDEN_STATE, out.lastHiddenState());
      result.put(POOLER_OUTPUT, out.pooled());
      return result;
    }
  }
}
