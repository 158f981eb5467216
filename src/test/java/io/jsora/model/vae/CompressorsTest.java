package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StateDictMismatchException;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorsTest {
  @TempDir Path tmp;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void rawIsTheIdentityWithFactorsOne() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VideoCompressor c = Compressors.load("raw", null, cpu)) {
      assertEquals("raw", c.name());
      assertEquals(3, c.latentChannels());
      assertArrayEquals(new int[] {1, 1, 1}, c.factors());
      assertArrayEquals(new long[] {3, 5, 7, 9}, c.latentShape(5, 7, 9));
      Tensor v = torch.rand(2, 3, 5, 7, 9).sub(new org.bytedeco.pytorch.Scalar(0.5));
      try (Tensor z = c.encode(v);
          Tensor back = c.decode(z)) {
        assertEquals(0.0, Golden.maxAbsDiff(v, back));
      }
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> c.encode(torch.rand(2, 4, 5, 7, 9)));
      assertTrue(e.getMessage().contains("[B, 3, T, H, W]"), e.getMessage());
    }
  }

  /** The real configurations (built on the meta device) give the documented factors and errors. */
  @Test
  void latentShapesOfTheRealModelsAndErrorsNamingTheDimension() {
    try (PointerScope s = new PointerScope();
        Device meta = new Device(DeviceType.Meta);
        VqVaeCompressor vq = new VqVaeCompressor(new VqVae(VqVaeConfig.hpcaiTech(), meta));
        SdVaeCompressor vae =
            new SdVaeCompressor(
                new AutoencoderKL(SdVaeConfig.sdVaeFtMse(), meta), CompressorOptions.defaults())) {
      assertArrayEquals(new long[] {256, 8, 64, 64}, vq.latentShape(16, 256, 256));
      assertArrayEquals(new int[] {2, 4, 4}, vq.factors());
      assertArrayEquals(new long[] {4, 15, 40, 60}, vae.latentShape(15, 320, 480));
      assertArrayEquals(new int[] {1, 8, 8}, vae.factors());
      IllegalArgumentException t =
          assertThrows(IllegalArgumentException.class, () -> vq.latentShape(15, 256, 256));
      assertEquals(
          "vqvae: frames (T) 15 is not a multiple of 2 (factors t,h,w = 2,4,4); crop or resize the video to 14 or 16",
          t.getMessage());
      IllegalArgumentException w =
          assertThrows(IllegalArgumentException.class, () -> vq.latentShape(16, 256, 250));
      assertTrue(
          w.getMessage().startsWith("vqvae: width (W) 250 is not a multiple of 4"), w.getMessage());
      IllegalArgumentException h =
          assertThrows(IllegalArgumentException.class, () -> vae.latentShape(16, 100, 256));
      assertTrue(
          h.getMessage().startsWith("vae: height (H) 100 is not a multiple of 8"), h.getMessage());
      // encode refuses the same shapes before running anything
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> vq.encode(torch.zeros(1, 3, 5, 8, 8)));
      assertTrue(
          e.getMessage().startsWith("vqvae: frames (T) 5 is not a multiple of 2"), e.getMessage());
    }
  }

  /** The per-frame posterior checks the frame size against the autoencoder's factor itself. */
  @Test
  void posteriorRefusesFramesThatAreNotMultiplesOfTheSpatialFactor() {
    try (PointerScope s = new PointerScope();
        Device meta = new Device(DeviceType.Meta);
        AutoencoderKL kl = new AutoencoderKL(SdVaeConfig.sdVaeFtMse(), meta)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> SdVaeCompressor.posterior(kl, torch.zeros(1, 3, 2, 64, 60), 4));
      assertEquals(
          "video: height and width must be multiples of the autoencoder's spatial factor 8, found 64x60",
          e.getMessage());
      IllegalArgumentException r =
          assertThrows(
              IllegalArgumentException.class,
              () -> SdVaeCompressor.posterior(kl, torch.zeros(3, 64, 64), 4));
      assertEquals("video: expected [B, C, T, H, W], found [3, 64, 64]", r.getMessage());
    }
  }

  @Test
  void unknownNameAndMissingModelAreClearErrors() throws Exception {
    try (Device cpu = Devices.cpu()) {
      IllegalArgumentException n =
          assertThrows(IllegalArgumentException.class, () -> Compressors.load("vqgan", null, cpu));
      assertEquals("'vqgan' is not one of raw, vqvae, vae, osvae", n.getMessage());
      HubCache empty = HubCache.at(tmp.resolve("hub"));
      NoSuchFileException m =
          assertThrows(
              NoSuchFileException.class,
              () -> Compressors.load("vqvae", null, cpu, CompressorOptions.defaults(), empty));
      assertTrue(
          m.getMessage()
              .contains(
                  "vqvae: not a local directory, and the Hugging Face cache has no snapshot of it (looked at "
                      + tmp.resolve("hub").resolve("models--hpcai-tech--vqvae")
                      + " (absent))"),
          m.getMessage());
      assertTrue(
          m.getMessage().contains("huggingface-cli download hpcai-tech/vqvae"), m.getMessage());
      Files.createDirectories(tmp.resolve("nomodel"));
      Files.writeString(tmp.resolve("nomodel/config.json"), "{}");
      NoSuchFileException w =
          assertThrows(
              NoSuchFileException.class,
              () ->
                  Compressors.load(
                      "vae", tmp.resolve("nomodel"), cpu, CompressorOptions.defaults(), empty));
      assertTrue(
          w.getMessage()
              .contains("vae: no weights file (looked for diffusion_pytorch_model.safetensors"),
          w.getMessage());
      assertTrue(w.getMessage().contains("the directory holds: config.json"), w.getMessage());
    }
  }

  @Test
  void findsAHuggingFaceIdInTheLocalCache() throws Exception {
    Path snap = tmp.resolve("hub/models--someone--tiny-vqvae/snapshots/0123abc");
    Files.createDirectories(snap);
    Files.createDirectories(tmp.resolve("hub/models--someone--tiny-vqvae/refs"));
    Files.writeString(tmp.resolve("hub/models--someone--tiny-vqvae/refs/main"), "0123abc\n");
    Files.copy(Golden.dir("vqvae").resolve("config.json"), snap.resolve("config.json"));
    Files.copy(Golden.dir("vqvae").resolve("model.safetensors"), snap.resolve("model.safetensors"));
    HubCache dirs =
        HubCache.fromEnvironment(Map.of("HF_HOME", tmp.toString()), tmp.resolve("home"));
    assertEquals(
        List.of(tmp.resolve("hub"), tmp.resolve("home/.cache/huggingface/hub")), dirs.roots());
    assertEquals(snap, dirs.resolve("someone/tiny-vqvae", "vqvae"));
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VideoCompressor c =
            Compressors.load(
                "vqvae", Path.of("someone/tiny-vqvae"), cpu, CompressorOptions.defaults(), dirs)) {
      assertEquals(8, c.latentChannels());
    }
    assertEquals(
        List.of(
            tmp.resolve("cache"),
            Path.of("/elsewhere/hub"),
            tmp.resolve("home/.cache/huggingface/hub")),
        HubCache.fromEnvironment(
                Map.of("HF_HUB_CACHE", tmp.resolve("cache").toString(), "HF_HOME", "/elsewhere"),
                tmp.resolve("home"))
            .roots());
  }

  /**
   * Checkpoints saved by diffusers before 0.14 name the attention projections
   * query/key/value/proj_attn.
   */
  @Test
  void sdVaeLoadsLegacyAttentionNames() throws Exception {
    Path dir = tmp.resolve("legacy");
    Files.createDirectories(dir);
    Files.copy(Golden.dir("sdvae").resolve("config.json"), dir.resolve("config.json"));
    int renamed = 0;
    try (StateDict sd = Golden.read("sdvae", "diffusion_pytorch_model.safetensors");
        StateDict legacy = new StateDict()) {
      for (String k : sd.names()) {
        String n =
            k.replace(".to_q.", ".query.")
                .replace(".to_k.", ".key.")
                .replace(".to_v.", ".value.")
                .replace(".to_out.0.", ".proj_attn.");
        renamed += n.equals(k) ? 0 : 1;
        legacy.put(n, new Tensor(sd.get(k)));
      }
      SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), legacy, Map.of());
    }
    assertEquals(16, renamed); // 8 tensors in each of the two mid-block attentions
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        AutoencoderKL legacyModel =
            Compressors.loadSdVae(
                dir.resolve("config.json"),
                dir.resolve("diffusion_pytorch_model.safetensors"),
                cpu);
        StateDict in = Golden.read("sdvae", "decode_in.safetensors");
        StateDict out = Golden.read("sdvae", "decode_out.safetensors");
        org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
      Golden.assertClose(
          out.get("video"),
          SdVaeCompressor.decodeFrames(legacyModel, in.get("latent"), 8),
          1e-4,
          "decode");
    }
  }

  @Test
  void weightsUnderAWrapperPrefixLoadAndMismatchesNameTheKey() throws Exception {
    Path dir = tmp.resolve("wrapped");
    Files.createDirectories(dir);
    Files.copy(Golden.dir("vqvae").resolve("config.json"), dir.resolve("config.json"));
    try (StateDict sd = Golden.read("vqvae", "model.safetensors");
        StateDict wrapped = new StateDict()) {
      for (String k : sd.names()) {
        wrapped.put("vqvae." + k, new Tensor(sd.get(k)));
      }
      SafetensorsWriter.write(dir.resolve("pytorch_model.safetensors"), wrapped, Map.of());
      sd.remove("codebook.N").close();
      SafetensorsWriter.write(dir.resolve("broken.safetensors"), sd, Map.of());
    }
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VqVae m =
            Compressors.loadVqVae(
                dir.resolve("config.json"), dir.resolve("pytorch_model.safetensors"), cpu);
        StateDict ref = Golden.read("vqvae", "model.safetensors");
        StateDict got = StateDict.of(m)) {
      Golden.assertClose(
          ref.get("codebook.embeddings"), got.get("codebook.embeddings"), 0.0, "codebook");
      StateDictMismatchException e =
          assertThrows(
              StateDictMismatchException.class,
              () ->
                  Compressors.loadVqVae(
                      dir.resolve("config.json"), dir.resolve("broken.safetensors"), cpu));
      assertEquals(java.util.List.of("codebook.N [16]"), e.missing());
    }
  }

  @Test
  void configErrorsNameFileAndKey() throws Exception {
    Path f = tmp.resolve("config.json");
    Files.writeString(
        f,
        "{\"embedding_dim\": 8, \"n_codes\": 16, \"n_hiddens\": 7, \"n_res_layers\": 1, \"downsample\": [2, 4, 4]}");
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> VqVaeConfig.read(f));
    assertEquals(
        f + ": n_hiddens 7 must be even (residual blocks halve it; attention uses 2 heads)",
        e.getMessage());
    Files.writeString(
        f,
        "{\"embedding_dim\": 8, \"n_codes\": 16, \"n_hiddens\": 8, \"n_res_layers\": 1, \"downsample\": [2, 3, 4]}");
    e = assertThrows(java.io.IOException.class, () -> VqVaeConfig.read(f));
    assertEquals(f + ": downsample [2, 3, 4]: each factor must be a power of two", e.getMessage());
    Files.writeString(
        f, "{\"embedding_dim\": 8, \"n_codes\": 16, \"n_hiddens\": 8, \"downsample\": [2, 4, 4]}");
    e = assertThrows(java.io.IOException.class, () -> VqVaeConfig.read(f));
    assertEquals(f + ": missing required key \"n_res_layers\"", e.getMessage());
    Files.writeString(
        f,
        "{\"block_out_channels\": [8, 16], \"down_block_types\": [\"DownEncoderBlock2D\", \"CrossAttnDownBlock2D\"]}");
    e = assertThrows(java.io.IOException.class, () -> SdVaeConfig.read(f));
    assertEquals(
        f
            + ": \"down_block_types\" holds CrossAttnDownBlock2D, only DownEncoderBlock2D is supported",
        e.getMessage());
  }
}
