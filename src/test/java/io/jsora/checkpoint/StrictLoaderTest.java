package io.jsora.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StrictLoaderTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** proj.weight [3,2], proj.bias [3], head.weight [1,3], head.bias [1]. */
  private static Module model() {
    Module m = new Module();
    m.register_module("proj", new LinearImpl(2, 3));
    m.register_module("head", new LinearImpl(3, 1));
    return m;
  }

  @Test
  void loadsValuesWhenEveryKeyAndShapeMatches() {
    try (PointerScope s = new PointerScope();
        StateDict sd = new StateDict()) {
      Module m = model();
      sd.put("proj.weight", Tensors.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
      sd.put("proj.bias", Tensors.of(new float[] {7, 8, 9}, 3));
      sd.put("head.weight", Tensors.of(new double[] {1, 1, 1}, 1, 3)); // converted to float32
      sd.put("head.bias", Tensors.of(new float[] {0.5f}, 1));
      StrictLoader.load(m, sd, "test");
      try (StateDict loaded = StateDict.of(m)) {
        assertArrayEquals(
            new float[] {1, 2, 3, 4, 5, 6}, Tensors.toFloats(loaded.get("proj.weight")));
        assertArrayEquals(new float[] {7, 8, 9}, Tensors.toFloats(loaded.get("proj.bias")));
        assertEquals(torch.ScalarType.Float.value, loaded.get("head.weight").scalar_type().value);
      }
    }
  }

  @Test
  void reportsEveryProblemInOneErrorAndLeavesTheModelUnchanged() {
    try (PointerScope s = new PointerScope();
        StateDict sd = new StateDict()) {
      Module m = model();
      float[] before;
      try (StateDict orig = StateDict.of(m)) {
        before = Tensors.toFloats(orig.get("proj.weight"));
      }
      sd.put("proj.weight", Tensors.of(new float[6], 2, 3)); // transposed shape
      sd.put("proj.bias", Tensors.of(new float[3], 3));
      sd.put("extra.scale", Tensors.of(new float[1], 1));
      // head.weight and head.bias missing
      StateDictMismatchException e =
          assertThrows(
              StateDictMismatchException.class, () -> StrictLoader.load(m, sd, "w.safetensors"));
      assertEquals(List.of("head.weight [1, 3]", "head.bias [1]"), e.missing());
      assertEquals(List.of("extra.scale [1]"), e.unexpected());
      assertEquals(List.of("proj.weight: model [3, 2], weights [2, 3]"), e.mismatched());
      assertTrue(
          e.getMessage().startsWith("w.safetensors: weights do not match the model"),
          e.getMessage());
      assertTrue(
          e.getMessage().contains("2 missing keys")
              && e.getMessage().contains("1 unexpected keys")
              && e.getMessage().contains("1 shape mismatches"));
      try (StateDict after = StateDict.of(m)) {
        assertArrayEquals(before, Tensors.toFloats(after.get("proj.weight")));
      }
    }
  }
}
