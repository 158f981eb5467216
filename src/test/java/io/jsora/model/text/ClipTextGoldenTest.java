package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * jsora's CLIP text model against the upstream {@code CLIPTextModel} (transformers 4.57.6 under
 * PyTorch 1.13): tiny seeded configurations, a batch of captions of different lengths with a
 * padding mask, and the same ids without a mask. See {@code golden/clip/README.md}.
 */
class ClipTextGoldenTest {
  /** float32 end to end; the two implementations differ only in summation order. */
  static final double TOL = 1e-4;

  @Test
  void wholeClipCheckpointWithLegacyPoolingMatchesUpstream() throws Exception {
    check("golden/clip/tiny_clip_full", "pytorch_model.bin", new long[] {3, 16, 32});
  }

  @Test
  void textOnlyGeluCheckpointWithFirstEosPoolingMatchesUpstream() throws Exception {
    check("golden/clip/tiny_text_gelu", "model.safetensors", new long[] {3, 10, 24});
  }

  /** The same on a GPU: float32 kernels (no TF32 by default), the same tolerance. */
  @io.jsora.testing.GpuTest
  void textOnlyCheckpointMatchesUpstreamOnCuda() throws Exception {
    try (Device cuda = Devices.resolve("cuda")) {
      check("golden/clip/tiny_text_gelu", "model.safetensors", new long[] {3, 10, 24}, cuda);
    }
  }

  private static void check(String dirName, String weightsName, long[] hiddenShape)
      throws Exception {
    try (Device cpu = Devices.cpu()) {
      check(dirName, weightsName, hiddenShape, cpu);
    }
  }

  private static void check(String dirName, String weightsName, long[] hiddenShape, Device device)
      throws Exception {
    Path dir = Golden.resource(dirName);
    ClipTextConfig cfg = ClipTextConfig.read(dir.resolve("config.json"));
    try (ClipTextModel model = ClipTextModel.load(cfg, dir.resolve(weightsName), device);
        Weights.Loaded in = Weights.read(dir.resolve("inputs.safetensors"));
        Weights.Loaded want = Weights.read(dir.resolve("outputs.safetensors"));
        PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor ids = in.tensors().get("input_ids");
      ClipTextModel.Output masked = model.forward(ids, in.tensors().get("attention_mask"));
      assertArrayEquals(hiddenShape, Shapes.of(masked.lastHiddenState()));
      assertArrayEquals(new long[] {hiddenShape[0], hiddenShape[2]}, Shapes.of(masked.pooled()));
      within(
          want.tensors().get("last_hidden_state"), masked.lastHiddenState(), "last_hidden_state");
      within(want.tensors().get("pooler_output"), masked.pooled(), "pooler_output");

      ClipTextModel.Output plain = model.forward(ids, null);
      within(
          want.tensors().get("last_hidden_state_nomask"),
          plain.lastHiddenState(),
          "last_hidden_state (no mask)");
      within(want.tensors().get("pooler_output_nomask"), plain.pooled(), "pooler_output (no mask)");
    }
  }

  private static void within(Tensor expected, Tensor actual, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + " shape");
    double d = Golden.maxAbsDiff(expected, actual);
    assertTrue(d <= TOL, what + ": max |jsora - upstream| = " + d + " > " + TOL);
    assertEquals(false, Double.isNaN(d), what + " has NaN");
  }
}
