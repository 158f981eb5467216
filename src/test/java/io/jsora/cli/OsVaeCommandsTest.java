package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora model forward osvae-encode|osvae-decode} on the tiny seeded pipeline against
 * upstream's outputs.
 */
class OsVaeCommandsTest {
  @TempDir Path tmp;

  private static final Path DIR = CompressorCommandsTest.golden("osvae");

  private Cli forward(String kind, Map<String, Tensor> inputs, Path out) throws Exception {
    Path in = tmp.resolve(kind + "-in.safetensors");
    SafetensorsWriter.write(in, inputs, Map.of());
    return Cli.run(
        "model",
        "forward",
        kind,
        "--config",
        DIR.resolve("config.json").toString(),
        "--weights",
        DIR.resolve("model.safetensors").toString(),
        "--inputs",
        in.toString(),
        "--output",
        out.toString());
  }

  private static void assertClose(Tensor want, Tensor got, String what) {
    assertArrayEquals(Shapes.of(want), Shapes.of(got), what + " shape");
    try (PointerScope s = new PointerScope()) {
      double d = want.sub(got).abs().max().item_double() / want.abs().max().item_double();
      assertTrue(d <= 1e-5, String.format(Locale.ROOT, "%s: relative max |diff| %.3g", what, d));
    }
  }

  @Test
  void encodeAndDecodeReproduceUpstream() throws Exception {
    try (StateDict encIn = SafetensorsFile.read(DIR.resolve("encode_in.safetensors"));
        StateDict encOut = SafetensorsFile.read(DIR.resolve("encode_out.safetensors"));
        StateDict decIn = SafetensorsFile.read(DIR.resolve("decode_in.safetensors"));
        StateDict decOut = SafetensorsFile.read(DIR.resolve("decode_out.safetensors"))) {
      Path latent = tmp.resolve("latent.safetensors");
      Cli r = forward("osvae-encode", Map.of("video", encIn.get("video_a")), latent);
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("latent [2, 4, 6, 4, 5]"), r.out());
      try (StateDict got = SafetensorsFile.read(latent)) {
        assertClose(encOut.get("latent_a"), got.get("latent"), "latent");
      }
      Map<String, Tensor> in = new LinkedHashMap<>();
      in.put("latent", decIn.get("latent_b"));
      in.put("num_frames", decIn.get("num_frames_b"));
      Path video = tmp.resolve("video.safetensors");
      r = forward("osvae-decode", in, video);
      assertEquals(0, r.code(), r.err());
      try (StateDict got = SafetensorsFile.read(video)) {
        assertClose(decOut.get("video_b"), got.get("video"), "video");
      }
    }
  }

  @Test
  void missingFrameCountAndStrayInputsAreClearErrors() throws Exception {
    try (StateDict decIn = SafetensorsFile.read(DIR.resolve("decode_in.safetensors"))) {
      Cli r =
          forward(
              "osvae-decode",
              Map.of("latent", decIn.get("latent_c")),
              tmp.resolve("a.safetensors"));
      assertEquals(1, r.code());
      assertTrue(r.err().contains("osvae-decode: --inputs has no tensor 'num_frames'"), r.err());
      r =
          forward(
              "osvae-encode",
              Map.of("latent", decIn.get("latent_c")),
              tmp.resolve("b.safetensors"));
      assertEquals(1, r.code());
      assertTrue(
          r.err().contains("osvae-encode: unexpected input 'latent'; it takes video"), r.err());
    }
  }
}
