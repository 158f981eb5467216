package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.Weights;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.stdit3.STDiT3Cost;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora model forward stdit3} against the upstream golden outputs, and {@code model info}
 * for STDiT3-XL/2.
 */
class Stdit3CommandTest {
  @TempDir Path dir;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Path golden(String name) throws Exception {
    return Path.of(Stdit3CommandTest.class.getResource("/golden/stdit3/" + name).toURI());
  }

  @Test
  void forwardReproducesUpstreamFromFilesWithAndWithoutFrameMask() throws Exception {
    for (boolean masked : new boolean[] {false, true}) {
      Path inputs = dir.resolve("in" + masked + ".safetensors");
      Path out = dir.resolve("out" + masked + ".safetensors");
      try (PointerScope s = new PointerScope();
          Weights.Loaded io = Weights.read(golden("tiny_io.safetensors"))) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String k : new String[] {"x", "timestep", "y", "mask", "fps", "height", "width"}) {
          in.put(k, io.tensors().get(k));
        }
        if (masked) {
          in.put("x_mask", io.tensors().get("x_mask"));
        }
        SafetensorsWriter.write(inputs, in, Map.of());
        Cli r =
            Cli.run(
                "model",
                "forward",
                "stdit3",
                "--config",
                golden("tiny_config.json").toString(),
                "--weights",
                golden("tiny_weights.safetensors").toString(),
                "--inputs",
                inputs.toString(),
                "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("out [2, 8, 3, 5, 7]"), r.out());
        try (Weights.Loaded o = Weights.read(out)) {
          Tensor want = io.tensors().get(masked ? "out_x_mask" : "out");
          Tensor got = o.tensors().get("out");
          assertArrayEquals(Shapes.of(want), Shapes.of(got));
          double err = want.sub(got).abs().max().item_double();
          assertTrue(err <= 1e-5 * want.abs().max().item_double(), "max |diff| " + err);
        }
      }
    }
  }

  @Test
  void forwardNamesAMissingInput() throws Exception {
    Path inputs = dir.resolve("in.safetensors");
    try (PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(golden("tiny_io.safetensors"))) {
      SafetensorsWriter.write(
          inputs,
          Map.of("x", io.tensors().get("x"), "timestep", io.tensors().get("timestep")),
          Map.of());
    }
    Cli r =
        Cli.run(
            "model",
            "forward",
            "stdit3",
            "--config",
            golden("tiny_config.json").toString(),
            "--weights",
            golden("tiny_weights.safetensors").toString(),
            "--inputs",
            inputs.toString(),
            "--output",
            dir.resolve("o.safetensors").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("missing input 'y'"), r.err());
  }

  @Test
  void infoGivesXl2At240pAnd51Frames() {
    Cli r = Cli.run("model", "info", "--model", "STDiT3-XL/2");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().contains("parameters  1,207,643,972 (1207.6 M), plus 1,228,800 buffer values"),
        r.out());
    assertTrue(r.out().contains("latent      4 x 15 x 30 x 53 (240p 9:16, 51 frames"), r.out());
    assertTrue(
        r.out().contains("tokens      6075 video (15 frames x 405), 300 caption (300 real)"),
        r.out());
    double g = STDiT3Cost.forwardMacs(STDiT3Config.xl2(), 15, 30, 53, 300, 300) / 1e9;
    assertTrue(
        r.out().contains(String.format(Locale.ROOT, "forward     %.1f GFLOPs per sample", g)),
        r.out());

    Cli sized =
        Cli.run(
            "model",
            "info",
            "--model",
            "stdit3",
            "--frames",
            "1",
            "--height",
            "18",
            "--width",
            "32",
            "--text-len",
            "20");
    assertEquals(0, sized.code(), sized.err());
    assertTrue(sized.out().contains("latent      4 x 1 x 18 x 32\n"), sized.out());
    assertTrue(sized.out().contains("300 caption (20 real)"), sized.out());
  }
}
