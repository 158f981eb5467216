package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import java.util.List;
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

      List<Tensor> mixed = model.forwardMixed(List.of(in.get("mixed_x0"), in.get("mixed_x1")), in.get("mixed_t"),
          in.get("mixed_text"), in.get("mixed_text_mask"), null);
      assertClose(in.get("mixed_out0"), mixed.get(0), arch + " mixed_out0");
      assertClose(in.get("mixed_out1"), mixed.get(1), arch + " mixed_out1");
    }
  }

  static void assertClose(Tensor expected, Tensor actual, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + " shape");
    double err = expected.sub(actual).abs().max().item_double();
    System.out.printf("%s: max |diff| %.3g%n", what, err);
    assertTrue(err <= TOL, what + ": max |diff| " + err + " > " + TOL);
  }
}
