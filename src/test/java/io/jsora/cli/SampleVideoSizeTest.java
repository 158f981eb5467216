package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.train.TrainFixtures;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora sample}'s size flags reach the file: the MP4 read back has the asked fps, width,
 * height and frame count ({@code --fps × --sec}, or {@code --frames}), not the training data's
 * 16×16, 4 frames at 8 fps.
 */
class SampleVideoSizeTest {
  @TempDir static Path dir;
  static Path run;

  @BeforeAll
  static void train() throws Exception {
    Path dataset = TrainFixtures.dataset(dir, 8, 4, 2);
    run = dir.resolve("run");
    Cli r =
        Cli.run(
            "train",
            "-d",
            dataset.toString(),
            "-m",
            "DiT-T/4",
            "-x",
            "cross-attn",
            "-b",
            "4",
            "--max-steps",
            "1",
            "--checkpoint-dir",
            run.toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
  }

  private static void sample(Path out, String... size) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "sample",
                "--ckpt",
                run.toString(),
                "--text",
                "a red circle moving left",
                "--num-sampling-steps",
                "2",
                "--disable-cfg",
                "-o",
                out.toString(),
                "--device",
                "cpu"));
    args.addAll(java.util.List.of(size));
    Cli r = Cli.run(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err() + r.out());
  }

  private static void assertVideo(Path file, double fps, int width, int height, int frames)
      throws Exception {
    VideoInfo info = VideoReader.probe(file);
    assertEquals(fps, info.fps(), 1e-9, "fps of " + file);
    assertEquals(width, info.width(), "width of " + file);
    assertEquals(height, info.height(), "height of " + file);
    try (DecodedVideo v = VideoReader.decode(file)) {
      assertEquals(frames, v.length(), "frames decoded from " + file);
      assertEquals(fps, v.fps(), 1e-9);
      long[] shape = io.jsora.tensor.Shapes.of(v.frames()); // (T, H, W, 3)
      assertEquals(height, shape[1]);
      assertEquals(width, shape[2]);
    }
  }

  @Test
  void fpsSecondsWidthAndHeightShapeTheMp4() throws Exception {
    Path out = dir.resolve("fps-sec.mp4");
    sample(out, "--fps", "5", "--sec", "1.6", "--width", "32", "--height", "24");
    assertVideo(out, 5.0, 32, 24, 8);
  }

  @Test
  void framesGivesTheFrameCountAtTheTrainingFps() throws Exception {
    Path out = dir.resolve("frames.mp4");
    sample(out, "--frames", "6", "--width", "24", "--height", "32");
    assertVideo(out, 8.0, 24, 32, 6);
  }
}
