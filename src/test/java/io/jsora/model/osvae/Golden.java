package io.jsora.model.osvae;

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
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The files under {@code golden/osvae/} (see its README.md) and comparisons against them. */
final class Golden {
  private Golden() {}

  static Path dir() {
    try {
      return Path.of(Golden.class.getResource("/golden/osvae").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static StateDict read(String file) throws IOException {
    return SafetensorsFile.read(dir().resolve(file));
  }

  /** The tiny seeded pipeline, from its config and safetensors weights, in eval mode. */
  static OpenSoraVae tiny(org.bytedeco.pytorch.Device device) throws IOException {
    return OsVaeFiles.load(
        dir().resolve("config.json"), dir().resolve("model.safetensors"), device);
  }

  /** Largest absolute difference relative to the largest expected magnitude; shapes must match. */
  static double relDiff(Tensor expected, Tensor actual) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), "shape");
    try (PointerScope s = new PointerScope()) {
      Tensor e = expected.to(ScalarType.Double);
      Tensor a = actual.cpu().to(ScalarType.Double);
      return e.sub(a).abs().max().item_double() / Math.max(e.abs().max().item_double(), 1e-30);
    }
  }

  static void assertClose(Tensor expected, Tensor actual, double relTol, String what) {
    double d = relDiff(expected, actual);
    assertTrue(
        d <= relTol,
        String.format(
            Locale.ROOT, "%s: max |diff| / max |expected| = %.3g exceeds %.1g", what, d, relTol));
  }
}
