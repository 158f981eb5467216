package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.HubCache;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.model.osvae.OsVaeCompressor;
import io.jsora.model.osvae.OsVaeFiles;
import io.jsora.model.t5.T5TextEncoder;
import io.jsora.model.text.TextEmbeddings;
import io.jsora.pipeline.Os12Fixture;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.testing.TensorAssert;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.TestVideos;
import io.jsora.video.VideoReader;
import io.jsora.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora preprocess} with the Open-Sora 1.2 encoders on the tiny seeded checkpoint set
 * ({@link Os12Fixture}) and videos made here through FFmpeg: the stored T5 states and 1.2-VAE
 * latents equal what the two models give when run directly on the same captions and decoded frames,
 * the latent keeps upstream's length (17 frames → 5 latent frames, not cut to 16), and the dataset
 * records which encoders made it.
 */
class Os12PreprocessTest {
  static final String LONG_CAPTION =
      "a red ball rolls slowly across a wooden table toward the window in the evening light";

  @TempDir static Path dir;
  static Path models;
  static Path videos;
  static Path captions;

  @BeforeAll
  static void build() throws Exception {
    Natives.load();
    models = Files.createDirectories(dir.resolve("models"));
    Os12Fixture.build(models);
    videos = Files.createDirectories(dir.resolve("videos"));
    try (Tensor a = TestVideos.gradient(17, 16, 16);
        Tensor b = TestVideos.gradient(9, 18, 20)) {
      VideoWriter.writeMp4(videos.resolve("a.mp4"), a, 8);
      VideoWriter.writeMp4(videos.resolve("b.mp4"), b, 8);
    }
    captions = dir.resolve("captions.jsonl");
    Files.writeString(
        captions,
        "{\"file\": \"a.mp4\", \"captions\": [\"a red ball\", \""
            + LONG_CAPTION
            + "\"]}\n{\"file\": \"b.mp4\", \"captions\": [\"blue sky\"]}\n");
  }

  /** Preprocesses with the 1.2 VAE and T5 into {@code out}, with extra flags. */
  static Cli preprocess(Path out, String... extra) {
    List<String> a =
        new java.util.ArrayList<>(
            List.of(
                "preprocess",
                "-c",
                captions.toString(),
                "-v",
                videos.toString(),
                "-o",
                out.toString(),
                "--text-model",
                models.resolve(Os12Fixture.T5).toString(),
                "--cache-latents",
                "--compressor",
                "osvae",
                "--compressor-dir",
                models.resolve(Os12Fixture.VAE).toString(),
                "--latent-dtype",
                "float32",
                "--device",
                "cpu"));
    a.addAll(List.of(extra));
    return Cli.run(a.toArray(new String[0]));
  }

  @Test
  void storesT5StatesAndVaeLatentsAsTheModelsGiveThem() throws Exception {
    Path out = dir.resolve("ds");
    Cli r = preprocess(out);
    assertEquals(0, r.code(), r.err() + r.out());
    Path t5Dir = models.resolve(Os12Fixture.T5).toAbsolutePath().normalize();
    JsonNode info = new ObjectMapper().readTree(out.resolve("jsora.json").toFile());
    assertEquals("t5:" + t5Dir, info.path("text_encoder").asText());
    assertEquals(300, info.path("text_max_length").asInt());
    assertEquals("osvae", info.path("compressor").asText());
    List<String> texts = List.of("a red ball", LONG_CAPTION, "blue sky");
    try (PointerScope s = new PointerScope();
        Device cpu = new Device("cpu");
        ArrowVideoDataset ds = ArrowVideoDataset.open(out);
        T5TextEncoder t5 = T5TextEncoder.load(t5Dir, DType.F32, cpu, 300);
        OsVaeCompressor vae =
            new OsVaeCompressor(
                OsVaeFiles.loadDir(models.resolve(Os12Fixture.VAE).toString(), cpu, HubCache.NONE),
                0)) {
      assertEquals(3, ds.size());
      assertEquals("osvae", ds.info().compressor());
      // text: the encoder's states at the real tokens, padding (to 300) removed
      TextEmbeddings e = t5.encode(texts);
      for (int i = 0; i < texts.size(); i++) {
        long real = e.mask().get(i).sum().item_long();
        Tensor expected = e.hidden().get(i).narrow(0, 0, real); // (L, D)
        try (Tensor stored = ds.textStates(i)) { // caller-owned, not in the scope
          TensorAssert.assertClose(expected, stored, 1e-5, 1e-6, "text row " + i);
        }
      }
      e.close();
      // video: the decoded frames, H and W centre-cropped to multiples of 8, every frame kept;
      // posteriors sampled from the compressor's seeded stream in file order
      long[][] shapes = {{4, 5, 2, 2}, {4, 3, 2, 2}};
      String[] files = {"a.mp4", "b.mp4"};
      long[] rowOf = {0, 2};
      for (int v = 0; v < 2; v++) {
        try (DecodedVideo d = VideoReader.decode(videos.resolve(files[v]))) {
          Tensor f = d.frames(); // (T, H, W, 3)
          long h = f.size(1) / 8 * 8;
          long w = f.size(2) / 8 * 8;
          Tensor cut = f.narrow(1, (f.size(1) - h) / 2, h).narrow(2, (f.size(2) - w) / 2, w);
          try (Tensor x = Frames.toModel(cut.contiguous()); // (1, 3, T, h, w), caller-owned
              Tensor z = vae.encode(x); // (1, 4, T', h/8, w/8)
              Tensor stored = ds.latent(rowOf[v])) {
            assertArrayEquals(shapes[v], Shapes.of(stored), files[v]);
            TensorAssert.assertClose(z.squeeze(0), stored, 1e-5, 1e-6, files[v]);
          }
        }
      }
      // both captions of a.mp4 carry its one latent
      try (Tensor first = ds.latent(0);
          Tensor second = ds.latent(1)) {
        TensorAssert.assertClose(first, second, 0, 0, "a.mp4's two rows");
      }
    }
  }

  @Test
  void textMaxLengthTruncatesT5AsTheEncoderDoes() throws Exception {
    Path out = dir.resolve("ds-short");
    Cli r = preprocess(out, "--text-max-length", "8");
    assertEquals(0, r.code(), r.err() + r.out());
    JsonNode info = new ObjectMapper().readTree(out.resolve("jsora.json").toFile());
    assertEquals(8, info.path("text_max_length").asInt());
    Path t5Dir = models.resolve(Os12Fixture.T5).toAbsolutePath().normalize();
    try (PointerScope s = new PointerScope();
        Device cpu = new Device("cpu");
        ArrowVideoDataset ds = ArrowVideoDataset.open(out);
        T5TextEncoder t5 = T5TextEncoder.load(t5Dir, DType.F32, cpu, 8)) {
      try (Tensor stored = ds.textStates(1);
          TextEmbeddings e = t5.encode(List.of(LONG_CAPTION))) {
        assertEquals(8, stored.size(0), "the long caption is cut to 8 tokens, </s> included");
        TensorAssert.assertClose(e.hidden().get(0), stored, 1e-5, 1e-6, "truncated caption");
      }
    }
  }

  @Test
  void aLengthForANonT5EncoderAndAnUnknownCompressorAreRefused() {
    Cli r =
        Cli.run(
            "preprocess",
            "-c",
            captions.toString(),
            "-v",
            videos.toString(),
            "-o",
            dir.resolve("ds-bad").toString(),
            "--text-max-length",
            "8",
            "--device",
            "cpu");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("T5 setting"), r.err());
    r =
        Cli.run(
            "preprocess",
            "-c",
            captions.toString(),
            "-v",
            videos.toString(),
            "-o",
            dir.resolve("ds-bad2").toString(),
            "--cache-latents",
            "--compressor",
            "osvea",
            "--device",
            "cpu");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("osvea") && r.err().contains("osvae"), r.err());
  }

  @Test
  void trainingWithAnotherCompressorThanTheDatasetsIsRefused() throws Exception {
    Path out = dir.resolve("ds-train");
    assertEquals(0, preprocess(out).code());
    Cli r =
        Cli.run(
            "train",
            "-d",
            out.toString(),
            "--compressor",
            "vae",
            "--checkpoint-dir",
            dir.resolve("run-bad").toString(),
            "--max-steps",
            "1",
            "--device",
            "cpu");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("'osvae'"), r.err());
  }
}
