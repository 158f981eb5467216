package io.jsora.model.t5;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** Test resources and comparisons shared by the T5 tests. */
final class Golden {
  private Golden() {}

  static final Path T5 = resource("golden/t5");
  static final Path TINY = T5.resolve("tiny");

  /** A directory or file under {@code src/test/resources}. */
  static Path resource(String name) {
    try {
      return Path.of(Golden.class.getResource("/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource " + name, e);
    }
  }

  /** max |a - b| / max |b| over all elements, in float64. */
  static double maxRelDiff(Tensor a, Tensor want) {
    try (PointerScope s = new PointerScope()) {
      Tensor w = want.cpu().to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
      Tensor d = a.cpu().to(org.bytedeco.pytorch.global.torch.ScalarType.Double).sub(w).abs().max();
      return d.item_double() / w.abs().max().item_double();
    }
  }
}
