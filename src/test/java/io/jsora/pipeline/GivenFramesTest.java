package io.jsora.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.diffusion.Sampler;
import io.jsora.diffusion.rflow.MaskRatios;
import io.jsora.run.DiffusionProcess;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.train.TrainFixtures;
import io.jsora.train.Trainer;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuation through the frame mask: the given frames come back exactly as the raw compressor
 * reconstructs them (the pixels themselves), the rest is generated.
 */
class GivenFramesTest {
  @TempDir static Path dir;
  static Path flowRun;
  static Path iddpmRun;

  @BeforeAll
  static void train() throws IOException {
    Path dataset = TrainFixtures.dataset(dir, 2, 4, 3);
    flowRun = dir.resolve("flow");
    iddpmRun = dir.resolve("iddpm");
    TrainConfig flow =
        TrainFixtures.config(dataset, flowRun, 4, 2).toBuilder()
            .arch(io.jsora.model.dit.Arch.ADALN)
            .textToC(false)
            .learnSigma(false)
            .process(DiffusionProcess.RFLOW)
            .maskRatios(MaskRatios.of(Map.of("image_head", 0.5)))
            .build();
    try (Trainer t = new Trainer(flow)) {
      t.run();
    }
    TrainConfig iddpm = TrainFixtures.config(dataset, iddpmRun, 2, 2);
    try (Trainer t = new Trainer(iddpm)) {
      t.run();
    }
  }

  private static GenerationRequest request(int n) {
    List<String> prompts = List.of("a red circle moving left", "a blue square moving up");
    return new GenerationRequest(
        prompts.subList(0, n), 4, 16, 16, 6, Sampler.Method.DDIM, 0, 4.0, 5);
  }

  /** The two training clips' decoded frames, {@code uint8 [2, 4, 16, 16, 3]}. */
  private static Tensor clips() throws IOException {
    try (DecodedVideo a = VideoReader.decode(dir.resolve("data/videos/00000.mp4"));
        DecodedVideo b = VideoReader.decode(dir.resolve("data/videos/00001.mp4"))) {
      return torch.stack(new TensorVector(a.frames(), b.frames()));
    }
  }

  @Test
  void givenFramesComeBackExactlyAndTheRestIsGenerated() throws IOException {
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(flowRun, true, Devices.cpu());
        PointerScope s = new PointerScope()) {
      Tensor ref = clips();
      try (Tensor out = pipe.generate(request(2), new GivenFrames(ref, 2), (d, n, t) -> {});
          Tensor free = pipe.generate(request(2), (d, n, t) -> {});
          Tensor one = pipe.generate(request(2), new GivenFrames(ref, 1), (d, n, t) -> {})) {
        assertArrayEquals(new long[] {2, 4, 16, 16, 3}, Shapes.of(out));
        // raw latents are the pixels: decoded, the kept latents are the reference bytes themselves
        assertTrue(out.narrow(1, 0, 2).equal(ref.narrow(1, 0, 2)), "given frames kept exactly");
        assertFalse(out.narrow(1, 2, 2).equal(ref.narrow(1, 2, 2)), "the rest is generated");
        // without the given frames the same seed does not reproduce them: the match is not chance
        assertFalse(free.narrow(1, 0, 2).equal(ref.narrow(1, 0, 2)));
        // one given frame: image-to-video
        assertTrue(one.narrow(1, 0, 1).equal(ref.narrow(1, 0, 1)));
        assertFalse(one.narrow(1, 1, 1).equal(ref.narrow(1, 1, 1)));
      }
    }
  }

  @Test
  void badGivenFramesAreRefusedWithTheReason() throws IOException {
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(flowRun, true, Devices.cpu());
        PointerScope s = new PointerScope()) {
      Tensor ref = clips();
      IllegalArgumentException all =
          assertThrows(
              IllegalArgumentException.class,
              () -> pipe.generate(request(2), new GivenFrames(ref, 4), (d, n, t) -> {}));
      assertTrue(all.getMessage().contains("leave nothing to generate"), all.getMessage());
      IllegalArgumentException count =
          assertThrows(
              IllegalArgumentException.class,
              () -> pipe.generate(request(1), new GivenFrames(ref, 2), (d, n, t) -> {}));
      assertTrue(count.getMessage().contains("2 clips"), count.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new GivenFrames(ref, 5));
    }
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(iddpmRun, true, Devices.cpu());
        PointerScope s = new PointerScope()) {
      Tensor ref = clips();
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> pipe.generate(request(2), new GivenFrames(ref, 2), (d, n, t) -> {}));
      assertTrue(e.getMessage().contains("rectified-flow checkpoint"), e.getMessage());
    }
  }
}
