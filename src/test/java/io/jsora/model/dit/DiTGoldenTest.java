package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference DiT's own outputs (see src/test/resources/golden/dit/README.md), reproduced with
 * the strict loader and the {@code index} positional embedding.
 */
class DiTGoldenTest {
  /** Absolute tolerance on outputs of magnitude ~1. */
  static final double TOL = 1e-5;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Path golden(String name) throws Exception {
    return Path.of(DiTGoldenTest.class.getResource("/golden/dit/" + name).toURI());
  }

  @ParameterizedTest
  @ValueSource(strings = {"adaln", "cross_attn", "token_concat"})
  void reproducesTheReferenceOutputs(String arch) throws Exception {
    DiTConfig config = DiTConfig.read(golden(arch + ".json"));
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(golden(arch + "_weights.safetensors"));
        Weights.Loaded io = Weights.read(golden(arch + "_io.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      DiT model = new DiT(config);
      StrictLoader.load(model, w.tensors(), arch + "_weights.safetensors");
      model.eval();
      var in = io.tensors();
      Tensor out = model.forward(in.get("x"), in.get("t"), in.get("text"), in.get("text_mask"));
      assertClose(in.get("out"), out, arch + " out");

      // the reference's padded batch of two shapes: each sample's real tokens equal that sample
      // alone
      for (int i = 0; i < 2; i++) {
        Tensor mask = in.get("mixed_text_mask");
        Tensor alone =
            model.forward(
                in.get("mixed_x" + i).unsqueeze(0),
                in.get("mixed_t").narrow(0, i, 1),
                in.get("mixed_text").narrow(0, i, 1),
                mask == null ? null : mask.narrow(0, i, 1)); // (1, C_out, T_i, H_i, W_i)
        assertClose(in.get("mixed_out" + i), alone.squeeze(0), arch + " mixed_out" + i);
      }
    }
  }

  static void assertClose(Tensor expected, Tensor actual, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + " shape");
    double err = expected.sub(actual).abs().max().item_double();
    System.out.printf("%s: max |diff| %.3g%n", what, err);
    assertTrue(err <= TOL, what + ": max |diff| " + err + " > " + TOL);
  }
}
