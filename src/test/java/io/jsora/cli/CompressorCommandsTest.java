package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora model forward vqvae-*|vae-*} against the golden PyTorch outputs, and {@code model
 * info}.
 */
class CompressorCommandsTest {
  @TempDir Path tmp;

  static Path golden(String sub) {
    try {
      return Path.of(CompressorCommandsTest.class.getResource("/golden/" + sub).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private StateDict forward(String kind, String sub, String weights, String inputs)
      throws Exception {
    Path out = tmp.resolve(kind + ".safetensors");
    Cli r =
        Cli.run(
            "model",
            "forward",
            kind,
            "--config",
            golden(sub).resolve("config.json").toString(),
            "--weights",
            golden(sub).resolve(weights).toString(),
            "--inputs",
            golden(sub).resolve(inputs).toString(),
            "--output",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("wrote " + out), r.out());
    return SafetensorsFile.read(out);
  }

  private static void assertClose(Tensor want, Tensor got, String what) {
    assertArrayEquals(Shapes.of(want), Shapes.of(got), what + " shape");
    try (PointerScope s = new PointerScope()) {
      double d = want.sub(got).abs().max().item_double();
      assertTrue(d <= 1e-4, String.format(Locale.ROOT, "%s: max |diff| %.3g", what, d));
    }
  }

  @Test
  void vqvaeEncodeAndDecodeReproduceVideoGpt() throws Exception {
    try (StateDict got =
            forward("vqvae-encode", "vqvae", "model.safetensors", "encode_in.safetensors");
        StateDict want = SafetensorsFile.read(golden("vqvae").resolve("encode_out.safetensors"))) {
      assertArrayEquals(Tensors.toLongs(want.get("indices")), Tensors.toLongs(got.get("indices")));
      assertEquals(torch.ScalarType.Long.value, got.get("indices").scalar_type().value);
      assertClose(want.get("embeddings"), got.get("embeddings"), "embeddings");
    }
    try (StateDict got =
            forward("vqvae-decode", "vqvae", "model.safetensors", "decode_in.safetensors");
        StateDict want = SafetensorsFile.read(golden("vqvae").resolve("decode_out.safetensors"))) {
      assertClose(want.get("video"), got.get("video"), "video");
    }
  }

  @Test
  void vaeEncodeAndDecodeReproduceDiffusers() throws Exception {
    try (StateDict got =
            forward(
                "vae-encode",
                "sdvae",
                "diffusion_pytorch_model.safetensors",
                "encode_in.safetensors");
        StateDict want = SafetensorsFile.read(golden("sdvae").resolve("encode_out.safetensors"))) {
      assertClose(want.get("mean"), got.get("mean"), "mean");
      assertClose(want.get("logvar"), got.get("logvar"), "logvar");
    }
    try (StateDict got =
            forward(
                "vae-decode",
                "sdvae",
                "diffusion_pytorch_model.safetensors",
                "decode_in.safetensors");
        StateDict want = SafetensorsFile.read(golden("sdvae").resolve("decode_out.safetensors"))) {
      assertClose(want.get("video"), got.get("video"), "video");
    }
  }

  @Test
  void wrongInputNameIsOneClearError() {
    Cli r =
        Cli.run(
            "model",
            "forward",
            "vqvae-decode",
            "--config",
            golden("vqvae").resolve("config.json").toString(),
            "--weights",
            golden("vqvae").resolve("model.safetensors").toString(),
            "--inputs",
            golden("vqvae").resolve("encode_in.safetensors").toString(),
            "--output",
            tmp.resolve("x.safetensors").toString());
    assertEquals(1, r.code());
    assertTrue(
        r.err().contains("vqvae-decode: --inputs has no tensor 'embeddings' (found: video)"),
        r.err());
  }

  @Test
  void infoGivesParameterCountsAndLatentShapesOfTheRealModels() {
    Cli vq =
        Cli.run(
            "model",
            "info",
            "--model",
            "vqvae",
            "--frames",
            "16",
            "--height",
            "64",
            "--width",
            "64");
    assertEquals(0, vq.code(), vq.err());
    assertTrue(vq.out().contains("parameters: 21,141,619"), vq.out());
    assertTrue(vq.out().contains("video [3, 16, 64, 64] -> latent [256, 8, 16, 16]"), vq.out());
    assertTrue(vq.out().contains("as code indices: [8, 16, 16]"), vq.out());
    Cli vae =
        Cli.run(
            "model", "info", "--model", "vae", "--frames", "16", "--height", "64", "--width", "64");
    assertEquals(0, vae.code(), vae.err());
    assertTrue(vae.out().contains("parameters: 83,653,863"), vae.out());
    assertTrue(vae.out().contains("video [3, 16, 64, 64] -> latent [4, 16, 8, 8]"), vae.out());
    Cli raw =
        Cli.run(
            "model", "info", "--model", "raw", "--frames", "5", "--height", "7", "--width", "9");
    assertEquals(0, raw.code(), raw.err());
    assertTrue(raw.out().contains("video [3, 5, 7, 9] -> latent [3, 5, 7, 9]"), raw.out());
    Cli tiny =
        Cli.run(
            "model",
            "info",
            "--model",
            "vqvae",
            "--config",
            golden("vqvae").toString(),
            "--frames",
            "4",
            "--height",
            "16",
            "--width",
            "16");
    assertEquals(0, tiny.code(), tiny.err());
    assertTrue(tiny.out().contains("latent [8, 2, 4, 4]"), tiny.out());
    Cli odd = Cli.run("model", "info", "--model", "vqvae", "--frames", "15");
    assertEquals(1, odd.code());
    assertTrue(odd.err().contains("vqvae: frames (T) 15 is not a multiple of 2"), odd.err());
  }
}
