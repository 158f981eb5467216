package io.jsora.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.diffusion.Sampler;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.train.TrainFixtures;
import io.jsora.train.Trainer;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Overfitting one clip: the loss falls to near zero and sampling gives the clip back. */
class TextToVideoPipelineTest {
  @TempDir static Path dir;
  static Path run;
  static Trainer.Result result;
  static String caption;
  static Path video;

  /**
   * Bound on the mean loss of the last 20 steps for the memorised clip (x0-prediction MSE; the
   * clip's variance is about 0.03).
   */
  static final double LOSS_BOUND = 0.006;

  /** PSNR bound (dB) of the sample against the clip; an untrained model gives about 6 dB. */
  static final double PSNR_BOUND = 20;

  @BeforeAll
  static void overfit() throws IOException {
    Path dataset = TrainFixtures.dataset(dir, 1, 4, 5);
    caption =
        Files.readString(dir.resolve("data/captions.json"))
            .replaceAll("(?s).*\"captions\" : \\[ \"([^\"]+)\".*", "$1");
    video = dir.resolve("data/videos/00000.mp4");
    run = dir.resolve("run");
    TrainConfig cfg =
        TrainFixtures.config(dataset, run, 600, 1).toBuilder()
            .arch(io.jsora.model.dit.Arch.ADALN)
            .textToC(false)
            .lr(3e-3)
            .warmupSteps(20)
            .learnSigma(false)
            .textDropout(0.0)
            .emaDecay(0.0)
            .minLr(1e-4)
            .build();
    try (Trainer t = new Trainer(cfg)) {
      result = t.run();
    }
  }

  private static double psnr(Tensor a, Tensor b) {
    double mse =
        a.to(torch.ScalarType.Double)
            .sub(b.to(torch.ScalarType.Double))
            .pow(new Scalar(2.0))
            .mean()
            .item_double();
    return 10 * Math.log10(255.0 * 255.0 / mse);
  }

  @Test
  void aTinyModelMemorisesOneClipAndSamplesItBack() throws IOException {
    List<com.fasterxml.jackson.databind.JsonNode> metrics =
        io.jsora.train.MetricsLog.read(run.resolve("metrics.jsonl"));
    double last20 =
        metrics.subList(metrics.size() - 20, metrics.size()).stream()
            .mapToDouble(m -> m.get("loss").asDouble())
            .average()
            .orElseThrow();
    assertTrue(last20 < LOSS_BOUND, "mean loss of the last 20 steps " + last20);
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(run, true, Devices.cpu());
        PointerScope s = new PointerScope();
        DecodedVideo original = VideoReader.decode(video)) {
      GenerationRequest req =
          new GenerationRequest(List.of(caption), 4, 16, 16, 25, Sampler.Method.DDIM, 0, 0, 1);
      try (Tensor out = pipe.generate(req, (d, n, t) -> {})) {
        assertArrayEquals(new long[] {1, 4, 16, 16, 3}, Shapes.of(out));
        double p = psnr(out.select(0, 0), original.frames());
        assertTrue(p > PSNR_BOUND, "PSNR " + p + " dB");
      }
    }
  }

  @Test
  void sameSeedSameVideoAndDefaultsComeFromTheCheckpoint() throws IOException {
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(run, false, Devices.cpu());
        PointerScope s = new PointerScope()) {
      assertEquals(4, pipe.data().frames());
      assertEquals(16, pipe.data().width());
      GenerationRequest req =
          new GenerationRequest(
              List.of(caption, "a red square moving up"),
              4,
              16,
              16,
              5,
              Sampler.Method.DDPM,
              0,
              4.0,
              9);
      try (Tensor a = pipe.generate(req, (d, n, t) -> {});
          Tensor b = pipe.generate(req, (d, n, t) -> {})) {
        assertTrue(a.equal(b));
      }
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  pipe.generate(
                      new GenerationRequest(
                          List.of(caption), 4, 18, 16, 5, Sampler.Method.DDIM, 0, 0, 1),
                      (d, n, t) -> {}));
      assertTrue(e.getMessage().contains("multiples of 4 pixels"), e.getMessage());
    }
  }
}
