package io.jsora.model.osvae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * The pipeline against upstream's {@code VideoAutoencoderPipeline} under PyTorch (see
 * golden/osvae/README.md): clip a is 2×20 frames of 9×11 (17 + 3 frames, padded to 17 + 4 in the
 * temporal VAE), b is 35 frames of 8×10 (17 + 17 + 1), c one 6×7 frame.
 */
class OsVaeGoldenTest {
  static final double TOL = 1e-5;
  static final String[] CASES = {"a", "b", "c"};

  @Test
  void encodeGivesUpstreamsPosteriorMeansForEveryChunking() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors")) {
      for (String c : CASES) {
        Tensor video = in.get("video_" + c);
        Golden.assertClose(
            out.get("spatial_" + c), m.spatial().encode(video, null), TOL, "2D latent " + c);
        Tensor z = m.encode(video);
        Golden.assertClose(out.get("latent_" + c), z, TOL, "latent " + c);
        long[] v = Shapes.of(video);
        assertArrayEquals(
            new long[] {4, Shapes.of(z)[2], v[3] / 2, v[4] / 2},
            m.latentShape(v[2], v[3], v[4]),
            "latent shape " + c);
      }
    }
  }

  @Test
  void decodeGivesUpstreamsVideoWithTheChunkedFrameCounts() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("decode_in.safetensors");
        StateDict enc = Golden.read("encode_out.safetensors");
        StateDict out = Golden.read("decode_out.safetensors")) {
      for (String c : CASES) {
        long frames = Tensors.toLongs(in.get("num_frames_" + c))[0];
        Tensor video = m.decode(in.get("latent_" + c), frames);
        assertEquals(frames, Shapes.of(video)[2], "frames " + c);
        Golden.assertClose(out.get("video_" + c), video, TOL, "video " + c);
        Golden.assertClose(
            out.get("video_from_mean_" + c),
            m.decode(enc.get("latent_" + c), frames),
            TOL,
            "video from mean " + c);
      }
    }
  }

  /**
   * A CPU generator seeded 42 draws what upstream's global generator draws after {@code
   * torch.manual_seed(42)}.
   */
  @Test
  void sampledEncodeReplaysUpstreamsDraws() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors");
        Generator random = Seeds.cpuGenerator(42)) {
      Golden.assertClose(
          out.get("latent_a_sampled_seed42"),
          m.encode(in.get("video_a"), random),
          TOL,
          "sampled latent");
    }
  }

  /** Micro-batches only bound memory: any size, or all frames at once, gives the same means. */
  @Test
  void spatialMicroBatchDoesNotChangeTheMeans() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors")) {
      OsVaeConfig base = OsVaeConfig.read(Golden.dir().resolve("config.json"));
      for (Integer mb : new Integer[] {1, 7, null}) {
        try (OpenSoraVae m =
                new OpenSoraVae(
                    base.withMicroBatchSize(mb),
                    io.jsora.model.vae.SdVaeConfig.read(
                        Golden.dir().resolve("spatial/config.json")),
                    cpu);
            StateDict w = Golden.read("model.safetensors")) {
          io.jsora.checkpoint.StrictLoader.load(m, w, "model.safetensors");
          m.eval();
          Golden.assertClose(
              out.get("latent_a"), m.encode(in.get("video_a")), TOL, "latent, micro-batch " + mb);
        }
      }
    }
  }

  /**
   * Each 17-frame chunk is encoded alone: the 35-frame latent is the concatenation of the latents
   * of frames 0–16, 17–33 and 34 encoded as separate clips; encoding the clip whole (no chunks)
   * gives 9 latent frames instead of 11.
   */
  @Test
  void chunksAreEncodedIndependently() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors");
        StateDict w = Golden.read("model.safetensors")) {
      Tensor video = in.get("video_b");
      Tensor chunked = out.get("latent_b"); // 5 + 5 + 1 latent frames
      long[][] parts = {{0, 17, 0, 5}, {17, 17, 5, 5}, {34, 1, 10, 1}};
      for (long[] p : parts) {
        Golden.assertClose(
            chunked.narrow(2, p[2], p[3]),
            m.encode(video.narrow(2, p[0], p[1])),
            TOL,
            "frames from " + p[0]);
      }
      OsVaeConfig whole =
          OsVaeConfig.read(Golden.dir().resolve("config.json")).withMicroFrameSize(null);
      try (OpenSoraVae one =
          new OpenSoraVae(
              whole,
              io.jsora.model.vae.SdVaeConfig.read(Golden.dir().resolve("spatial/config.json")),
              cpu)) {
        io.jsora.checkpoint.StrictLoader.load(one, w, "model.safetensors");
        one.eval();
        assertEquals(9, Shapes.of(one.encode(video))[2]); // 35 frames padded to 36
      }
    }
  }

  @Test
  void torchSaveFileLoadsTheSame() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m =
            OsVaeFiles.load(
                Golden.dir().resolve("config.json"),
                Golden.dir().resolve("pytorch_model.bin"),
                cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors")) {
      Golden.assertClose(
          out.get("latent_c"),
          m.encode(in.get("video_c")),
          TOL,
          "latent from the torch.save weights");
    }
  }

  /**
   * A model directory loads through {@code config.json} + {@code model.safetensors}; a file missing
   * a key is refused naming it.
   */
  @Test
  void directoryLoadsAndAMissingKeyIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    io.jsora.checkpoint.HubCache noHub = io.jsora.checkpoint.HubCache.at(tmp.resolve("hub"));
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = OsVaeFiles.loadDir(Golden.dir().toString(), cpu, noHub);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors");
        StateDict w = Golden.read("model.safetensors")) {
      Golden.assertClose(
          out.get("latent_c"), m.encode(in.get("video_c")), TOL, "latent from the directory");
      w.remove("temporal_vae.decoder.conv_out.conv.bias").close();
      java.nio.file.Path broken = tmp.resolve("broken.safetensors");
      io.jsora.checkpoint.SafetensorsWriter.write(broken, w.asMap(), java.util.Map.of());
      RuntimeException e =
          assertThrows(
              io.jsora.checkpoint.StateDictMismatchException.class,
              () -> OsVaeFiles.load(Golden.dir().resolve("config.json"), broken, cpu, noHub));
      assertTrue(
          e.getMessage().contains("temporal_vae.decoder.conv_out.conv.bias"), e.getMessage());
    }
  }

  @Test
  void compressorMapsPixelRangeAndDecodesTheLongestClip() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OsVaeCompressor c = new OsVaeCompressor(Golden.tiny(cpu), 7);
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors");
        StateDict dec = Golden.read("decode_in.safetensors");
        StateDict decOut = Golden.read("decode_out.safetensors")) {
      assertEquals("osvae", c.name());
      assertArrayEquals(new int[] {4, 2, 2}, c.factors());
      assertArrayEquals(new long[] {4, 11, 4, 5}, c.latentShape(35, 8, 10));
      assertEquals(38, c.framesFor(11)); // 17 + 17 + 4
      assertEquals(17, c.framesFor(5));
      assertEquals(16, c.framesFor(4));
      Tensor half = in.get("video_b").mul(new Scalar(0.5));
      try (Tensor z = c.encode(half, null)) {
        Golden.assertClose(out.get("latent_b"), z, TOL, "latent of [-0.5, 0.5] pixels");
      }
      try (Tensor v = c.decode(dec.get("latent_b"), 35)) {
        Golden.assertClose(
            decOut.get("video_b").mul(new Scalar(0.5)), v, TOL, "video in [-0.5, 0.5]");
      }
      try (Tensor v = c.decode(dec.get("latent_b"))) {
        assertEquals(38, Shapes.of(v)[2]);
      }
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> c.encode(in.get("video_a")));
      assertTrue(
          e.getMessage().contains("height (H) 9 and width (W) 11 must be positive multiples of 2"),
          e.getMessage());
    }
  }

  @Test
  void decodeRejectsAFrameCountTheLatentCannotHold() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        StateDict in = Golden.read("decode_in.safetensors")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> m.decode(in.get("latent_a"), 17));
      assertTrue(
          e.getMessage().contains("17 frames need 5 latent frames, the latent has 6"),
          e.getMessage());
    }
  }

  /**
   * bfloat16 weights and buffers (upstream's GPU dtype) stay close to float32 on the tiny model.
   */
  @Test
  void bfloat16RunsCloseToFloat32() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        OpenSoraVae m = Golden.tiny(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("encode_in.safetensors");
        StateDict out = Golden.read("encode_out.safetensors")) {
      m.toDtype(ScalarType.BFloat16);
      assertEquals(ScalarType.BFloat16.value, m.dtype().value);
      Tensor z = m.encode(in.get("video_c"));
      assertEquals(ScalarType.BFloat16.value, z.scalar_type().value);
      double d = Golden.relDiff(out.get("latent_c"), z.to(ScalarType.Float));
      assertTrue(d < 5e-2 && d > 1e-5, "bf16 vs fp32 relative difference " + d);
    }
  }
}
