package io.jsora.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.HubCache;
import io.jsora.pipeline.Os12Components.StageDtypes;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding the 1.2 components (a model directory, the Hugging Face hub cache layout, per-component
 * directories) and upstream's size and length tables.
 */
class Os12FilesTest {
  @TempDir static Path models;
  @TempDir Path tmp;

  private static final StageDtypes FP32 =
      new StageDtypes(StageDtype.FP32, StageDtype.FP32, StageDtype.FP32);

  @BeforeAll
  static void build() throws Exception {
    Os12Fixture.build(models);
  }

  /** {@code ROOT/models--ORG--NAME/refs/main} naming {@code snapshots/COMMIT/}, files linked. */
  private static void snapshot(Path root, String repo, Path from, String commit) throws Exception {
    Path model = root.resolve("models--" + repo.replace("/", "--"));
    Path snap = Files.createDirectories(model.resolve("snapshots").resolve(commit));
    Files.createDirectories(model.resolve("refs"));
    Files.writeString(model.resolve("refs/main"), commit);
    try (var files = Files.walk(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path to = snap.resolve(from.relativize(f).toString());
        Files.createDirectories(to.getParent());
        Files.createSymbolicLink(to, f.toAbsolutePath());
      }
    }
  }

  @Test
  void componentsAreFoundInTheHubCacheLayout() throws Exception {
    Path hub = tmp.resolve("hub");
    snapshot(hub, Os12Files.STDIT3_REPO, models.resolve(Os12Fixture.STDIT3), "aaa1");
    snapshot(hub, Os12Files.VAE_REPO, models.resolve(Os12Fixture.VAE), "bbb2");
    snapshot(hub, Os12Files.T5_REPO, models.resolve(Os12Fixture.T5), "ccc3");
    try (Device cpu = new Device("cpu")) {
      Os12Files f =
          Os12Files.locate(
              new Os12Files.Sources(null, null, null, null), HubCache.at(hub), FP32, cpu);
      assertTrue(f.stdit3Dir().endsWith("snapshots/aaa1"), f.stdit3Dir().toString());
      assertTrue(f.vaeDir().endsWith("snapshots/bbb2"));
      assertTrue(f.t5Dir().endsWith("snapshots/ccc3"));
      // the same cache given as --model-dir
      Os12Files g =
          Os12Files.locate(new Os12Files.Sources(hub, null, null, null), HubCache.NONE, FP32, cpu);
      assertEquals(f.t5Dir(), g.t5Dir());
      // a per-component directory wins over the model directory
      Os12Files h =
          Os12Files.locate(
              new Os12Files.Sources(hub, models.resolve(Os12Fixture.STDIT3).toString(), null, null),
              HubCache.NONE,
              FP32,
              cpu);
      assertEquals(models.resolve(Os12Fixture.STDIT3), h.stdit3Dir());
      assertArrayEquals(new long[] {4, 5, 32, 18}, h.latentShape(17, 256, 144));
      NoSuchFileException e =
          assertThrows(
              NoSuchFileException.class,
              () ->
                  Os12Files.locate(
                      new Os12Files.Sources(null, null, null, null), HubCache.NONE, FP32, cpu));
      assertTrue(e.getMessage().contains(Os12Files.STDIT3_REPO), e.getMessage());
    }
  }

  @Test
  void sizesAndLengthsAreUpstreamsTables() {
    // opensora/datasets/aspect.py: ASPECT_RATIO_{144P,240P,...}["0.56" / "1.78" / "0.75" / ...]
    assertArrayEquals(new int[] {240, 426}, Resolution.P240.size(AspectRatio.R9_16));
    assertArrayEquals(new int[] {426, 240}, Resolution.P240.size(AspectRatio.R16_9));
    assertArrayEquals(new int[] {166, 221}, Resolution.P144.size(AspectRatio.R3_4));
    assertArrayEquals(new int[] {740, 555}, Resolution.P480.size(AspectRatio.R4_3));
    assertArrayEquals(new int[] {960, 960}, Resolution.P720.size(AspectRatio.R1_1));
    // every entry: rows 144p..720p, columns 9:16, 16:9, 3:4, 4:3, 1:1 (H x W)
    int[][][] table = {
      {{144, 256}, {256, 144}, {166, 221}, {221, 165}, {192, 192}},
      {{240, 426}, {426, 240}, {276, 368}, {370, 278}, {320, 320}},
      {{360, 640}, {640, 360}, {416, 554}, {554, 416}, {480, 480}},
      {{480, 854}, {854, 480}, {554, 738}, {740, 555}, {640, 640}},
      {{720, 1280}, {1280, 720}, {832, 1110}, {1108, 832}, {960, 960}}
    };
    for (Resolution r : Resolution.values()) {
      for (AspectRatio a : AspectRatio.values()) {
        assertArrayEquals(table[r.ordinal()][a.ordinal()], r.size(a), r + " " + a);
      }
    }
    assertEquals(Resolution.P360, Resolution.parse("360P"));
    assertEquals(AspectRatio.R4_3, AspectRatio.parse("4:3"));
    // get_num_frames: NUM_FRAMES_MAP or int(...)
    assertEquals(51, NumFrames.parse("2s").frames());
    assertEquals(102, NumFrames.parse("4s").frames());
    assertEquals(204, NumFrames.parse("8s").frames());
    assertEquals(408, NumFrames.parse("16s").frames());
    assertEquals(408, NumFrames.parse("8x").frames());
    assertEquals(17, NumFrames.parse("17").frames());
    assertThrows(IllegalArgumentException.class, () -> NumFrames.parse("0"));
    assertThrows(IllegalArgumentException.class, () -> NumFrames.parse("3s"));
  }

  @Test
  void scoresAreAppendedAsUpstreamAppendsThem() {
    Os12Request r =
        new Os12Request(
            java.util.List.of("a cat"),
            240,
            426,
            51,
            24,
            42,
            30,
            7.0,
            6.5,
            2.0,
            java.util.List.of(),
            io.jsora.diffusion.rflow.MaskStrategy.none(),
            1,
            5,
            true);
    assertEquals("a cat aesthetic score: 6.5. motion score: 2.0.", r.withScores("a cat"));
    assertEquals(
        "a cat aesthetic score: 5.0. motion score: 2.0.",
        r.withScores("a cat aesthetic score: 5.0."));
    assertEquals(24.0, r.conditionFps());
  }
}
