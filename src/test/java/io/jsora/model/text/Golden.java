package io.jsora.model.text;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** Test resources and comparisons shared by the text tests. */
final class Golden {
  private Golden() {}

  /** A directory or file under {@code src/test/resources}. */
  static Path resource(String name) {
    try {
      return Path.of(Golden.class.getResource("/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource " + name, e);
    }
  }

  /** max |a - b| over all elements. */
  static double maxAbsDiff(Tensor a, Tensor b) {
    try (PointerScope s = new PointerScope()) {
      return a.cpu().sub(b.cpu()).abs().max().item_double();
    }
  }
}
