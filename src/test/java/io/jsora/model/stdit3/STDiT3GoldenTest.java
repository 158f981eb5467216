package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The upstream STDiT3's own outputs on a tiny seeded config (see
 * src/test/resources/golden/stdit3/README.md): odd latent H and W (patch padding and crop), two
 * captions of different lengths, with and without the frame mask, and a guidance batch whose
 * two-row text mask is tiled to four rows.
 */
class STDiT3GoldenTest {
  /** Tolerance on max |diff| relative to the largest expected magnitude. */
  static final double REL_TOL = 1e-5;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Path golden(String name) throws Exception {
    return Path.of(STDiT3GoldenTest.class.getResource("/golden/stdit3/" + name).toURI());
  }

  /** The tiny model with the golden weights, in eval mode (caller closes). */
  static STDiT3 tinyModel() throws Exception {
    STDiT3 model = new STDiT3(STDiT3Config.read(golden("tiny_config.json")));
    try (Weights.Loaded w = Weights.read(golden("tiny_weights.safetensors"))) {
      StrictLoader.load(model, w.tensors(), "tiny_weights.safetensors");
    }
    model.eval();
    return model;
  }

  @Test
  void reproducesUpstreamWithAndWithoutFrameMask() throws Exception {
    try (STDiT3 model = tinyModel();
        PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(golden("tiny_io.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      StateDict in = io.tensors();
      Tensor out =
          model.forward(
              in.get("x"),
              in.get("timestep"),
              in.get("y"),
              in.get("mask"),
              null,
              in.get("fps"),
              in.get("height"),
              in.get("width"));
      assertClose(in.get("out"), out, "out");
      Tensor masked =
          model.forward(
              in.get("x"),
              in.get("timestep"),
              in.get("y"),
              in.get("mask"),
              in.get("x_mask"),
              in.get("fps"),
              in.get("height"),
              in.get("width"));
      assertClose(in.get("out_x_mask"), masked, "out_x_mask");
    }
  }

  @Test
  void tilesTheTextMaskOverAGuidanceBatch() throws Exception {
    try (STDiT3 model = tinyModel();
        PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(golden("tiny_io.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      StateDict in = io.tensors();
      Tensor out =
          model.forward(
              in.get("cfg_x"),
              in.get("cfg_timestep"),
              in.get("cfg_y"),
              in.get("mask"),
              null,
              in.get("cfg_fps"),
              in.get("cfg_height"),
              in.get("cfg_width"));
      assertClose(in.get("cfg_out"), out, "cfg_out");
    }
  }

  static void assertClose(Tensor expected, Tensor actual, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + " shape");
    double scale = expected.abs().max().item_double();
    double err = expected.sub(actual).abs().max().item_double();
    System.out.printf("%s: max |diff| %.3g (max |expected| %.3g)%n", what, err, scale);
    assertTrue(
        err <= REL_TOL * scale, what + ": max |diff| " + err + " > " + REL_TOL + " x " + scale);
  }
}
