package io.jsora.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
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
    io.jsora.testing.TensorAssert.assertClose(expected, actual, rtol, atol, what);
  }
}
