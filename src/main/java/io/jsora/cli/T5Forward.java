package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.model.t5.T5Config;
import io.jsora.model.t5.T5Encoder;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code jsora model forward t5}: the T5 v1.1 encoder on given token ids, in float32 (Open-Sora
 * 1.2's inference dtype for T5). Inputs {@code input_ids} int64 {@code [B, L]} and {@code
 * attention_mask} {@code [B, L]} (1 = real token); output {@code last_hidden_state [B, L, D]}, as
 * upstream's {@code T5EncoderModel} names them. {@code --config} is a T5 {@code config.json} or a
 * model directory; {@code --weights} a safetensors or torch file, an {@code *.index.json} of
 * shards, or a model directory.
 */
final class T5Forward implements ModelForwardKind {
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String LAST_HIDDEN_STATE = "last_hidden_state";

  @Override
  public String kind() {
    return "t5";
  }

  @Override
  public String summary() {
    return "T5 v1.1 encoder: input_ids [B, L], attention_mask [B, L] -> last_hidden_state [B, L, D]";
  }

  @Override
  public Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException {
    if (config == null) {
      throw new IllegalArgumentException(
          "t5 needs --config CONFIG.json (a T5 config.json or a model directory)");
    }
    T5Config cfg = T5Config.read(config);
    Tensor ids = inputs.get(INPUT_IDS);
    Tensor mask = inputs.get(ATTENTION_MASK);
    if (ids == null || mask == null) {
      throw new IllegalArgumentException(
          "inputs: expected tensors '"
              + INPUT_IDS
              + "' and '"
              + ATTENTION_MASK
              + "' (found "
              + inputs.names()
              + ")");
    }
    DType dt = DType.of(ids);
    if (dt != DType.I64 && dt != DType.I32) {
      throw new IllegalArgumentException(
          INPUT_IDS + ": expected int64 token ids, found " + dt.safetensorsName());
    }
    Shapes.check(mask, ATTENTION_MASK, Shapes.of(ids));
    // the output is made in the command's scope, which owns it
    try (T5Encoder model = T5Encoder.load(cfg, weights, DType.F32, device);
        NoGradGuard g = new NoGradGuard()) {
      Map<String, Tensor> result = new LinkedHashMap<>();
      result.put(LAST_HIDDEN_STATE, model.forward(ids, mask));
      return result;
    }
  }
}
