package io.jsora.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;

/** The DiT reference data under {@code golden/diffusion/} (see its README). */
final class Golden {
  private Golden() {}

  static StateDict tensors() {
    try {
      Path p =
          Path.of(Golden.class.getResource("/golden/diffusion/dit_reference.safetensors").toURI());
      try (SafetensorsFile f = SafetensorsFile.open(p)) {
        return f.readAll();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json() {
    try (InputStream in =
        Golden.class.getResourceAsStream("/golden/diffusion/dit_reference.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Asserts |a − b| ≤ atol + rtol·|b| element-wise, naming the worst element. */
  static void assertClose(Tensor expected, Tensor actual, double rtol, double atol, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + ": shape");
    double[] e = Tensors.toDoubles(expected);
    double[] a = Tensors.toDoubles(actual);
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < e.length; i++) {
      double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
      if (!(excess <= worstExcess)) {
        worst = i;
        worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
      }
    }
    if (worst >= 0) {
      throw new AssertionError(
          what
              + ": element "
              + worst
              + " expected "
              + e[worst]
              + " found "
              + a[worst]
              + " (rtol "
              + rtol
              + ", atol "
              + atol
              + ")");
    }
  }
}
