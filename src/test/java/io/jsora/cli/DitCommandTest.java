package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.Weights;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTPresets;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
    Cli r =
        Cli.run(
            "model",
            "info",
            "--model",
            "DiT-XL/2",
            "--arch",
            "adaln",
            "--frames",
            "1",
            "--height",
            "256",
            "--width",
            "256",
            "--compressor",
            "vae");
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
    Cli r =
        Cli.run(
            "model",
            "info",
            "--model",
            "DiT/S-8",
            "--arch",
            "cross-attn",
            "--frames",
            "16",
            "--height",
            "64",
            "--width",
            "64",
            "--compressor",
            "vqvae");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("DiT-S/8 (cross-attn"), r.out());
    assertTrue(r.out().contains("latent 256 x 8 x 16 x 16"), r.out());
    Cli bad =
        Cli.run("model", "info", "--model", "DiT-S/8", "--frames", "3", "--compressor", "vqvae");
    assertEquals(1, bad.code());
    assertTrue(
        bad.err()
            .contains("--frames 3 is not a positive multiple of the vqvae compressor's factor 2"),
        bad.err());
  }

  @Test
  void forwardDitReproducesTheGoldenOutputFromFiles() throws Exception {
    Path inputs = dir.resolve("in.safetensors");
    Path out = dir.resolve("out.safetensors");
    try (PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(golden("token_concat_io.safetensors"))) {
      Map<String, Tensor> in = new LinkedHashMap<>();
      for (String k : new String[] {"x", "t", "text", "text_mask"}) {
        in.put(k, io.tensors().get(k));
      }
      SafetensorsWriter.write(inputs, in, Map.of());
      Cli r =
          Cli.run(
              "model",
              "forward",
              "dit",
              "--config",
              golden("token_concat.json").toString(),
              "--weights",
              golden("token_concat_weights.safetensors").toString(),
              "--inputs",
              inputs.toString(),
              "--output",
              out.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("out [2, 6, 2, 4, 4]"), r.out());
      try (Weights.Loaded got = Weights.read(out)) {
        double err =
            got.tensors().get("out").sub(io.tensors().get("out")).abs().max().item_double();
        assertTrue(err < 1e-5, "max |diff| " + err);
      }
    }
  }

  @Test
  void infoReadsAConfigFile() throws Exception {
    Cli r =
        Cli.run(
            "model",
            "info",
            "--model",
            "dit",
            "--config",
            golden("cross_attn.json").toString(),
            "--frames",
            "2",
            "--height",
            "4",
            "--width",
            "4",
            "--text-len",
            "5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("(cross-attn, pos_embed index)"), r.out());
    assertTrue(r.out().contains("parameters  14,728 "), r.out()); // the reference model's count
    assertTrue(r.out().contains("latent      3 x 2 x 4 x 4"), r.out());
  }

  @Test
  void forwardDitWithAPresetTakesChannelsAndTextWidthFromTheInputs() throws Exception {
    Path weights = dir.resolve("w.safetensors");
    Path inputs = dir.resolve("in.safetensors");
    Path out = dir.resolve("out.safetensors");
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      torch.manual_seed(11);
      DiTConfig c =
          DiTPresets.get("DiT-T/4", Arch.SELF_CROSS).withInChannels(2).withTextEmbedDim(6);
      DiT model = new DiT(c);
      try (StateDict sd = StateDict.of(model)) {
        for (Tensor p : sd.asMap().values()) {
          p.copy_(torch.randn(Shapes.of(p)).mul(new Scalar(0.1)));
        }
        SafetensorsWriter.write(weights, sd, Map.of());
      }
      Tensor x = torch.randn(1, 2, 3, 8, 8);
      Tensor t = Tensors.of(new float[] {42.5f}, 1);
      Tensor text = torch.randn(1, 4, 6);
      SafetensorsWriter.write(inputs, Map.of("x", x, "t", t, "text", text), Map.of());
      Cli r =
          Cli.run(
              "model",
              "forward",
              "dit",
              "--model",
              "DiT/T-4",
              "--arch",
              "self-cross",
              "--weights",
              weights.toString(),
              "--inputs",
              inputs.toString(),
              "--output",
              out.toString());
      assertEquals(0, r.code(), r.err());
      Tensor expected = model.forward(x, t, text, null);
      try (Weights.Loaded got = Weights.read(out)) {
        assertEquals(0.0, got.tensors().get("out").sub(expected).abs().max().item_double(), 1e-6);
      }
      Cli noArch =
          Cli.run(
              "model",
              "forward",
              "dit",
              "--model",
              "DiT-T/4",
              "--weights",
              weights.toString(),
              "--inputs",
              inputs.toString(),
              "--output",
              out.toString());
      assertTrue(noArch.err().contains("needs --arch"), noArch.err());
    }
  }

  @Test
  void forwardDitNamesAMissingInput() throws Exception {
    Path inputs = dir.resolve("in.safetensors");
    try (PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(golden("adaln_io.safetensors"))) {
      SafetensorsWriter.write(
          inputs, Map.of("x", io.tensors().get("x"), "t", io.tensors().get("t")), Map.of());
    }
    Cli r =
        Cli.run(
            "model",
            "forward",
            "dit",
            "--config",
            golden("adaln.json").toString(),
            "--weights",
            golden("adaln_weights.safetensors").toString(),
            "--inputs",
            inputs.toString(),
            "--output",
            dir.resolve("o").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("missing input 'text'"), r.err());
  }
}
