package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Natives;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DitCommandTest {
  @TempDir Path dir;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Path golden(String name) throws Exception {
    return Path.of(DitCommandTest.class.getResource("/golden/dit/" + name).toURI());
  }

  @Test
  void infoPrintsTheDiTPapersGflopsForXl2At256Pixels() {
    Cli r = Cli.run("model", "info", "--model", "DiT-XL/2", "--arch", "adaln", "--frames", "1", "--height", "256",
        "--width", "256", "--compressor", "vae");
    assertEquals(0, r.code(), r.err());
    Matcher m = Pattern.compile("forward\\s+([0-9.]+) GFLOPs").matcher(r.out());
    assertTrue(m.find(), r.out());
    double g = Double.parseDouble(m.group(1));
    assertTrue(Math.abs(g - 118.6) <= 0.01 * 118.6, r.out());
    assertTrue(r.out().contains("tokens      256 video"), r.out());
    assertTrue(r.out().contains("latent 4 x 1 x 32 x 32"), r.out());
  }

  @Test
  void infoAcceptsTheReferenceSpellingAndRejectsSizesTheCompressorCannotTake() {
    Cli r = Cli.run("model", "info", "--model", "DiT/S-8", "--arch", "cross-attn", "--frames", "16", "--height", "64",
        "--width", "64", "--compressor", "vqvae");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("DiT-S/8 (cross-attn"), r.out());
    assertTrue(r.out().contains("latent 256 x 8 x 16 x 16"), r.out());
    Cli bad = Cli.run("model", "info", "--model", "DiT-S/8", "--frames", "3", "--compressor", "vqvae");
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("--frames 3 is not a positive multiple of the vqvae compressor's factor 2"), bad.err());
  }

  @Test
  void forwardDitReproducesTheGoldenOutputFromFiles() throws Exception {
    Path inputs = dir.resolve("in.safetensors");
    Path out = dir.resolve("out.safetensors");
    try (PointerScope s = new PointerScope(); Weights.Loaded io = Weights.read(golden("token_concat_io.safetensors"))) {
      Map<String, Tensor> in = new LinkedHashMap<>();
      for (String k : new String[] {"x", "t", "text", "text_mask"}) {
        in.put(k, io.tensors().get(k));
      }
      SafetensorsWriter.write(inputs, in, Map.of());
      Cli r = Cli.run("model", "forward", "dit", "--config", golden("token_concat.json").toString(), "--weights",
          golden("token_concat_weights.safetensors").toString(), "--inputs", inputs.toString(), "--output", out.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("out [2, 6, 2, 4, 4]"), r.out());
      try (Weights.Loaded got = Weights.read(out)) {
        double err = got.tensors().get("out").sub(io.tensors().get("out")).abs().max().item_double();
        assertTrue(err < 1e-5, "max |diff| " + err);
      }
    }
  }

  @Test
  void forwardDitNamesAMissingInput() throws Exception {
    Path inputs = dir.resolve("in.safetensors");
    try (PointerScope s = new PointerScope(); Weights.Loaded io = Weights.read(golden("adaln_io.safetensors"))) {
      SafetensorsWriter.write(inputs, Map.of("x", io.tensors().get("x"), "t", io.tensors().get("t")), Map.of());
    }
    Cli r = Cli.run("model", "forward", "dit", "--config", golden("adaln.json").toString(), "--weights",
        golden("adaln_weights.safetensors").toString(), "--inputs", inputs.toString(), "--output", dir.resolve("o").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("missing input 'text'"), r.err());
  }
}
