package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint written by jsora before settings were typed (committed under {@code
 * legacy-checkpoint/}, with two MP4s that code sampled from it) still samples, and samples the same
 * videos.
 */
class LegacyCheckpointTest {
  static final Path DIR = Path.of("src/test/resources/legacy-checkpoint");

  @TempDir Path out;

  @Test
  void samplesTheSameVideosAsTheCodeThatWroteIt() throws Exception {
    Path ddpm = out.resolve("ddpm.mp4");
    Cli r =
        Cli.run(
            "sample",
            "--ckpt",
            DIR.resolve("step-0000003").toString(),
            "--ema",
            "--text",
            "a red circle moving left",
            "--num-sampling-steps",
            "5",
            "--seed",
            "3",
            "-o",
            ddpm.toString());
    assertEquals(0, r.code(), r.err());
    Path ddim = out.resolve("ddim.mp4");
    r =
        Cli.run(
            "sample",
            "--ckpt",
            DIR.toString(),
            "--text",
            "a blue square moving up",
            "--sampler",
            "ddim",
            "--num-sampling-steps",
            "4",
            "--seed",
            "1",
            "-o",
            ddim.toString());
    assertEquals(0, r.code(), r.err());
    assertSameFrames(DIR.resolve("legacy.mp4"), ddpm);
    assertSameFrames(DIR.resolve("legacy-ddim.mp4"), ddim);
  }

  private static void assertSameFrames(Path expected, Path actual) throws Exception {
    try (PointerScope s = new PointerScope();
        DecodedVideo a = VideoReader.decode(expected);
        DecodedVideo b = VideoReader.decode(actual)) {
      assertEquals(a.frames().sizes().vec().get().length, b.frames().sizes().vec().get().length);
      assertTrue(a.frames().equal(b.frames()), expected + " and " + actual + " differ");
    }
  }
}
