package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.Weights;
import io.jsora.model.text.ClipTextConfig;
import io.jsora.model.text.ClipTextModel;
import io.jsora.tensor.Tensors;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jsora model forward clip-text} and {@code jsora model info --model clip-text}. */
class ClipTextCommandsTest {
  static Path golden(String name) throws URISyntaxException {
    return Path.of(ClipTextCommandsTest.class.getResource("/golden/clip/" + name).toURI());
  }

  @Test
  void forwardReproducesUpstreamOutputsFromFiles(@TempDir Path tmp) throws Exception {
    Path dir = golden("tiny_clip_full");
    Path out = tmp.resolve("out.safetensors");
    // --weights as a model directory (pytorch_model.bin inside), --config the whole-CLIP
    // config.json
    Cli r =
        Cli.run(
            "model",
            "forward",
            "clip-text",
            "--config",
            dir.resolve("config.json").toString(),
            "--weights",
            dir.toString(),
            "--inputs",
            dir.resolve("inputs.safetensors").toString(),
            "--output",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("last_hidden_state [3, 16, 32]"), r.out());
    assertTrue(r.out().contains("pooler_output [3, 32]"), r.out());
    try (Weights.Loaded got = Weights.read(out);
        Weights.Loaded want = Weights.read(dir.resolve("outputs.safetensors"));
        PointerScope s = new PointerScope()) {
      for (String name : new String[] {"last_hidden_state", "pooler_output"}) {
        double d = got.tensors().get(name).sub(want.tensors().get(name)).abs().max().item_double();
        assertTrue(d <= 1e-4, name + ": " + d);
      }
    }
  }

  @Test
  void forwardWithoutAttentionMaskAndWithBadIds(@TempDir Path tmp) throws Exception {
    Path dir = golden("tiny_text_gelu");
    Path in = tmp.resolve("in.safetensors");
    try (PointerScope s = new PointerScope()) {
      SafetensorsWriter.write(
          in, Map.of("input_ids", Tensors.of(new long[] {4, 39, 12, 5}, 1, 4)), Map.of());
    }
    Path out = tmp.resolve("out.safetensors");
    Cli r =
        Cli.run(
            "model",
            "forward",
            "clip-text",
            "--config",
            dir.toString(),
            "--weights",
            dir.resolve("model.safetensors").toString(),
            "--inputs",
            in.toString(),
            "--output",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("last_hidden_state [1, 4, 24]"), r.out());

    try (PointerScope s = new PointerScope()) {
      SafetensorsWriter.write(
          in, Map.of("input_ids", Tensors.of(new float[] {4, 39}, 1, 2)), Map.of());
    }
    Cli bad =
        Cli.run(
            "model",
            "forward",
            "clip-text",
            "--config",
            dir.toString(),
            "--weights",
            dir.resolve("model.safetensors").toString(),
            "--inputs",
            in.toString(),
            "--output",
            out.toString());
    assertNotEquals(0, bad.code());
    assertTrue(bad.err().contains("input_ids: expected int64 token ids, found F32"), bad.err());
  }

  @Test
  void infoPrintsTheRealModelsSizeAndATinyOnesFromItsConfig() throws Exception {
    Cli r = Cli.run("model", "info", "--model", "clip-text");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("63,165,952 (63.2M)"), r.out());
    assertTrue(r.out().contains("last_hidden_state [1, 77, 512], pooler_output [1, 512]"), r.out());
    assertTrue(r.out().contains("largest token id"), r.out());

    Path dir = golden("tiny_text_gelu");
    Cli tiny =
        Cli.run(
            "model", "info", "--model", "clip-text", "--config", dir.toString(), "--text-len", "5");
    assertEquals(0, tiny.code(), tiny.err());
    long params;
    try (ClipTextModel m = ClipTextModel.create(ClipTextConfig.read(dir))) {
      params = m.parameterCount();
    }
    assertTrue(
        tiny.out().contains(String.format(java.util.Locale.ROOT, "%,d", params)), tiny.out());
    assertTrue(tiny.out().contains("first eos_token_id 5"), tiny.out());
    assertTrue(tiny.out().contains("[1, 5, 24]"), tiny.out());
  }
}
