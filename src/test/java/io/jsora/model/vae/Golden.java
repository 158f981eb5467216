package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** The golden files under {@code src/test/resources/golden/} and comparisons against them. */
final class Golden {
  private Golden() {}

  /** {@code golden/<sub>} on disk. */
  static Path dir(String sub) {
    try {
      return Path.of(Golden.class.getResource("/golden/" + sub).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static StateDict read(String sub, String file) throws IOException {
    return SafetensorsFile.read(dir(sub).resolve(file));
  }

  /** Largest absolute difference; shapes must match. */
  static double maxAbsDiff(Tensor expected, Tensor actual) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), "shape");
    try (PointerScope s = new PointerScope()) {
      return expected
          .to(org.bytedeco.pytorch.global.torch.ScalarType.Double)
          .sub(actual.cpu().to(org.bytedeco.pytorch.global.torch.ScalarType.Double))
          .abs()
          .max()
          .item_double();
    }
  }

  static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
    double d = maxAbsDiff(expected, actual);
    assertTrue(
        d <= tol, String.format(Locale.ROOT, "%s: max |diff| %.3g exceeds %.1g", what, d, tol));
  }
}
