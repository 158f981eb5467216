package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jsora's full-size STDiT3-XL/2, declared on the meta device (no 4.8 GB), has exactly the keys,
 * dtypes and shapes the upstream class has with the released config ({@code
 * golden/stdit3/STDiT3-XL-2.keys.tsv}), and the closed-form parameter count agrees.
 */
class STDiT3KeysTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void xl2DeclaresTheReleasedKeysAndShapes() throws Exception {
    Path tsv =
        Path.of(STDiT3KeysTest.class.getResource("/golden/stdit3/STDiT3-XL-2.keys.tsv").toURI());
    Map<String, String> expected = new TreeMap<>();
    for (String line : Files.readAllLines(tsv)) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        expected.put(f[0], f[1] + " " + f[2]);
      }
    }
    assertEquals(973, expected.size());
    Map<String, String> actual = new TreeMap<>();
    long params = 0;
    try (STDiT3 model = STDiT3.declare(STDiT3Config.xl2());
        PointerScope s = new PointerScope();
        StateDict sd = StateDict.of(model)) {
      for (String name : sd.names()) {
        Tensor t = sd.get(name);
        assertEquals("meta", t.device().str().getString(), name + " device");
        String dtype = io.jsora.tensor.DType.of(t).safetensorsName();
        long[] shape = Shapes.of(t);
        actual.put(name, dtype + " " + joined(shape));
      }
      params = model.parameterCount();
    }
    assertEquals(expected, actual);
    assertEquals(1_207_643_972L, params);
    assertEquals(params, STDiT3Cost.parameters(STDiT3Config.xl2()));
    assertEquals(1_228_800L, STDiT3Cost.bufferElements(STDiT3Config.xl2()));
  }

  private static String joined(long[] shape) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ",").append(shape[i]);
    }
    return b.toString();
  }
}
