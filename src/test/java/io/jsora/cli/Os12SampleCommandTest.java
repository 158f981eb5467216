package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.Weights;
import io.jsora.pipeline.Os12Fixture;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import io.jsora.video.VideoWriter;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora sample} on a tiny seeded Open-Sora 1.2 checkpoint set ({@link Os12Fixture}), end to
 * end to MP4: sizes from upstream's table, reference frames kept exactly at edit ratio 0, long
 * videos as long as upstream's formula says, missing components named by repository and file, and
 * bad values refused before any file is opened.
 */
class Os12SampleCommandTest {
  @TempDir static Path models;
  @TempDir Path tmp;

  @BeforeAll
  static void build() throws Exception {
    Natives.load();
    Os12Fixture.build(models);
  }

  /**
   * The common flags: 144p 16:9 (256 x 144, H x W: upstream names the ratio H:W), 2 steps, fp32.
   */
  private static List<String> base(Path modelDir, Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "sample",
                "--model-dir",
                modelDir.toString(),
                "--text",
                "a red ball rolls",
                "--resolution",
                "144p",
                "--aspect-ratio",
                "16:9",
                "--num-sampling-steps",
                "2",
                "--dtype",
                "fp32",
                "--t5-dtype",
                "fp32",
                "--device",
                "cpu",
                "-o",
                out.toString()));
    a.addAll(Arrays.asList(extra));
    return a;
  }

  private static Cli run(List<String> args) {
    return Cli.run(args.toArray(new String[0]));
  }

  @Test
  void textToVideoWritesAnMp4OfTheTableSizeLengthAndRate() throws Exception {
    Path mp4 = tmp.resolve("t2v.mp4");
    Path lat = tmp.resolve("t2v.safetensors");
    Cli r =
        run(
            base(
                models,
                mp4,
                "--num-frames",
                "17",
                "--fps",
                "12",
                "--seed",
                "3",
                "--save-latents",
                lat.toString()));
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(r.out().contains("[text] T5 text encoder in fp32"), r.out());
    assertTrue(r.out().contains("[denoise] STDiT3 in fp32"), r.out());
    assertTrue(r.out().contains("[decode] VAE in fp32"), r.out());
    VideoInfo info = VideoReader.probe(mp4);
    assertEquals(256, info.height(), "144p 16:9 is 256 x 144 (H x W) in upstream's table");
    assertEquals(144, info.width());
    assertEquals(17, info.frames());
    assertEquals(12.0, info.fps(), 1e-6);
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(lat)) {
      // 17 frames -> 5 latent frames; 256 x 144 / 8
      assertEquals(
          List.of(1L, 4L, 5L, 32L, 18L),
          Arrays.stream(Shapes.of(w.tensors().get("latent_0"))).boxed().toList());
      assertFalse(w.tensors().contains("reference_0"));
    }
  }

  @Test
  void theDefaultBf16StagesRun() throws Exception {
    Path mp4 = tmp.resolve("bf16.mp4");
    Cli r =
        run(
            List.of(
                "sample",
                "--model-dir",
                models.toString(),
                "--text",
                "a cat",
                "--resolution",
                "144p",
                "--aspect-ratio",
                "1:1",
                "--num-frames",
                "17",
                "--num-sampling-steps",
                "2",
                "--device",
                "cpu",
                "-o",
                mp4.toString()));
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(r.out().contains("T5 text encoder in bf16"), r.out());
    assertTrue(r.out().contains("STDiT3 in bf16"), r.out());
    VideoInfo info = VideoReader.probe(mp4);
    assertEquals(192, info.height());
    assertEquals(17, info.frames());
    assertEquals(24.0, info.fps(), 1e-6, "upstream's default fps");
  }

  @Test
  void anImageReferenceAtEditRatioZeroKeepsItsLatentExactly() throws Exception {
    Path png = tmp.resolve("ref.png");
    BufferedImage img = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 200; y++) {
      for (int x = 0; x < 300; x++) {
        img.setRGB(x, y, (x * 255 / 300) << 16 | (y * 255 / 200) << 8 | 90);
      }
    }
    ImageIO.write(img, "png", png.toFile());
    Path lat = tmp.resolve("i2v.safetensors");
    Cli r =
        run(
            base(
                models,
                tmp.resolve("i2v.mp4"),
                "--num-frames",
                "17",
                "--reference",
                png.toString(),
                "--mask-strategy",
                "0",
                "--save-latents",
                lat.toString()));
    assertEquals(0, r.code(), r.err() + r.out());
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(lat)) {
      Tensor sampled = w.tensors().get("latent_0").select(0, 0); // (C, 5, 32, 18)
      Tensor ref = w.tensors().get("reference_0"); // (C, 1, 32, 18)
      assertEquals(
          List.of(4L, 1L, 32L, 18L), Arrays.stream(Shapes.of(ref)).boxed().toList(), "one frame");
      assertTrue(
          sampled.select(1, 0).equal(ref.select(1, 0)), "frame 0 is the image's, bit for bit");
      assertTrue(
          sampled.narrow(1, 1, 4).sub(ref.expand(4, 4, 32, 18)).abs().max().item_double() > 1e-2,
          "frames 1-4 were generated");
    }
  }

  @Test
  void aVideoReferenceKeepsTheFramesItsStrategyHolds() throws Exception {
    Path ref = tmp.resolve("ref.mp4");
    try (PointerScope s = new PointerScope()) {
      float[] px = new float[17 * 160 * 96 * 3];
      for (int t = 0, i = 0; t < 17; t++) {
        for (int y = 0; y < 160; y++) {
          for (int x = 0; x < 96; x++) {
            px[i++] = (x * 2 + t * 9) % 256;
            px[i++] = (y + t * 5) % 256;
            px[i++] = 60;
          }
        }
      }
      Tensor frames =
          Tensors.of(px, 17, 160, 96, 3).to(org.bytedeco.pytorch.global.torch.ScalarType.Byte);
      VideoWriter.writeMp4(ref, frames, 24);
    }
    Path lat = tmp.resolve("v2v.safetensors");
    Cli r =
        run(
            base(
                models,
                tmp.resolve("v2v.mp4"),
                "--num-frames",
                "17",
                "--reference",
                ref.toString(),
                "--mask-strategy",
                "0,0,0,0,2,0",
                "--save-latents",
                lat.toString()));
    assertEquals(0, r.code(), r.err() + r.out());
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(lat)) {
      Tensor sampled = w.tensors().get("latent_0").select(0, 0); // (C, 5, 32, 18)
      Tensor refLat = w.tensors().get("reference_0"); // (C, 5, 32, 18): 17 frames
      assertEquals(5, refLat.size(1));
      assertTrue(
          sampled.narrow(1, 0, 2).equal(refLat.narrow(1, 0, 2)),
          "latent frames 0 and 1 (length 2, edit 0) are the video's, bit for bit");
      assertTrue(
          sampled.narrow(1, 2, 3).sub(refLat.narrow(1, 2, 3)).abs().max().item_double() > 1e-2,
          "frames 2-4 were generated");
    }
  }

  @Test
  void threeLoopsGiveTheLengthOfUpstreamsFormula() throws Exception {
    Path mp4 = tmp.resolve("long.mp4");
    Path lat = tmp.resolve("long.safetensors");
    int frames = 34;
    int loops = 3;
    int conditionLatentFrames = 5;
    Cli r =
        run(
            base(
                models,
                mp4,
                "--num-frames",
                Integer.toString(frames),
                "--loops",
                Integer.toString(loops),
                "--condition-frame-length",
                Integer.toString(conditionLatentFrames),
                "--save-latents",
                lat.toString()));
    assertEquals(0, r.code(), r.err() + r.out());
    // upstream: clip 0 + each later clip without its first dframe_to_frame(L) = L / 5 * 17 frames
    int carried = conditionLatentFrames / 5 * 17;
    int expected = frames + (loops - 1) * (frames - carried);
    assertEquals(68, expected);
    assertEquals(expected, VideoReader.probe(mp4).frames());
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(lat)) {
      assertTrue(w.tensors().contains("latent_2"));
      assertFalse(w.tensors().contains("latent_3"));
      assertNotEquals(
          0.0,
          w.tensors().get("latent_1").sub(w.tensors().get("latent_2")).abs().max().item_double());
    }
  }

  /** Latents of a two-loop run of {@code prompt} (17 frames, 5 carried latent frames). */
  private Weights.Loaded loopLatents(String prompt, String name) throws Exception {
    Path lat = tmp.resolve(name + ".safetensors");
    List<String> args =
        base(
            models,
            tmp.resolve(name + ".mp4"),
            "--num-frames",
            "34",
            "--loops",
            "2",
            "--save-latents",
            lat.toString());
    args.set(args.indexOf("--text") + 1, prompt);
    Cli r = run(args);
    assertEquals(0, r.code(), r.err() + r.out());
    return Weights.read(lat);
  }

  @Test
  void eachLoopIsGuidedByItsOwnTextOfALoopPrompt() throws Exception {
    try (PointerScope s = new PointerScope();
        Weights.Loaded plain = loopLatents("a red ball rolls", "plain");
        Weights.Loaded same = loopLatents("|0| a red ball rolls |1| a red ball rolls", "same");
        Weights.Loaded changed = loopLatents("|0| a red ball rolls |1| a blue cube", "changed")) {
      for (String k : List.of("latent_0", "latent_1")) {
        assertTrue(
            plain.tensors().get(k).equal(same.tensors().get(k)),
            k + ": one text written per loop is the plain prompt");
      }
      assertTrue(
          plain.tensors().get("latent_0").equal(changed.tensors().get("latent_0")),
          "loop 0 reads the first text");
      assertNotEquals(
          0.0,
          plain
              .tensors()
              .get("latent_1")
              .sub(changed.tensors().get("latent_1"))
              .abs()
              .max()
              .item_double(),
          "loop 1 reads the second text");
    }
  }

  @Test
  void aMissingComponentNamesItsRepositoryAndFile() throws Exception {
    Path partial = tmp.resolve("partial");
    for (String c : List.of(Os12Fixture.STDIT3, Os12Fixture.VAE, Os12Fixture.T5)) {
      Files.createDirectories(partial.resolve(c));
      try (var files = Files.list(models.resolve(c))) {
        for (Path f : files.toList()) {
          if (Files.isRegularFile(f) && !f.getFileName().toString().equals("spiece.model")) {
            Files.copy(f, partial.resolve(c).resolve(f.getFileName()));
          }
        }
      }
    }
    Cli r = run(base(partial, tmp.resolve("x.mp4"), "--num-frames", "17"));
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("DeepFloyd/t5-v1_1-xxl"), r.err());
    assertTrue(r.err().contains("spiece.model"), r.err());

    Path none = Files.createDirectories(tmp.resolve("empty"));
    r = run(base(none, tmp.resolve("x.mp4"), "--num-frames", "17"));
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("hpcai-tech/OpenSora-STDiT-v3"), r.err());
    assertTrue(r.err().contains("huggingface-cli download"), r.err());
  }

  @Test
  void badValuesAreRefusedBeforeAnyFileIsOpened() {
    Path absent = tmp.resolve("no-such-dir");
    String[][] cases = {
      {"--resolution", "1080p"},
      {"--aspect-ratio", "2:1"},
      {"--num-frames", "3x"},
      {"--mask-strategy", "0,zero"},
      {"--loops", "0"},
      {"--loops", "2", "--condition-frame-length", "3"},
      {"--loops", "2", "--num-frames", "17"},
      {"--dtype", "fp8"},
      {"--mask-strategy", "0,1"},
      {"--width", "64"},
    };
    String[] expect = {
      "1080p",
      "2:1",
      "3x",
      "zero",
      "loops",
      "condition_frame_length",
      "leaves nothing new",
      "fp8",
      "reference 1",
      "--width"
    };
    for (int i = 0; i < cases.length; i++) {
      Cli r = run(base(absent, tmp.resolve("x.mp4"), cases[i]));
      String all = r.err() + r.out();
      assertNotEquals(0, r.code(), String.join(" ", cases[i]));
      assertTrue(all.contains(expect[i]), String.join(" ", cases[i]) + " -> " + all);
      assertFalse(all.contains("no-such-dir"), "no file was looked at: " + all);
    }
    assertFalse(Files.exists(tmp.resolve("x.mp4")));
  }
}
