package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The closed forms of {@link STDiT3Cost} against counts taken from the model's own declared layers:
 * parameters summed over the module, multiply-adds of every weight matrix times the tokens that
 * pass through it plus the attention products for the grid.
 */
class STDiT3CostTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static STDiT3Config tiny() {
    return STDiT3Config.fromJson(
        "{\"hidden_size\": 48, \"depth\": 2, \"num_heads\": 4, \"caption_channels\": 32,"
            + " \"model_max_length\": 8}",
        "tiny");
  }

  @Test
  void parametersMatchTheBuiltModel() {
    for (STDiT3Config c :
        List.of(
            tiny(),
            STDiT3Config.fromJson(
                "{\"hidden_size\": 32, \"depth\": 3, \"num_heads\": 2, \"caption_channels\": 16,"
                    + " \"model_max_length\": 5, \"qk_norm\": false, \"pred_sigma\": false, \"patch_size\": [2, 2, 1],"
                    + " \"mlp_ratio\": 2.5, \"in_channels\": 3}",
                "variant"))) {
      try (STDiT3 m = new STDiT3(c)) {
        assertEquals(m.parameterCount(), STDiT3Cost.parameters(c), c.toJson());
      }
    }
  }

  @Test
  void forwardMacsMatchACountOverTheLayers() {
    STDiT3Config c = tiny();
    long frames = 3, height = 5, width = 7, textLen = 8, valid = 6;
    long t = frames, s = 3 * 4, n = t * s, d = c.hiddenSize();
    double count = 0;
    try (STDiT3 m = STDiT3.declare(c);
        PointerScope scope = new PointerScope();
        StateDict sd = StateDict.of(m)) {
      for (String name : sd.names()) {
        long[] shape = Shapes.of(sd.get(name));
        if (name.equals("x_embedder.proj.weight")) {
          count += (double) n * Shapes.numel(shape);
        } else if (name.endsWith(".weight") && shape.length == 2) {
          long tokens =
              name.startsWith("t_embedder")
                      || name.startsWith("fps_embedder")
                      || name.startsWith("t_block")
                  ? 1
                  : name.startsWith("y_embedder") || name.endsWith("cross_attn.kv_linear.weight")
                      ? textLen
                      : n;
          count += (double) tokens * shape[0] * shape[1];
        }
      }
    }
    count +=
        c.depth()
            * (2.0 * t * s * s * d
                + 2.0 * s * t * t * d
                + 2 * 2.0 * n * valid * d); // attention products
    assertEquals(count, STDiT3Cost.forwardMacs(c, frames, height, width, textLen, valid), 0.0);
  }
}
