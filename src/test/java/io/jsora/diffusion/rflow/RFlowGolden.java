package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The upstream reference data under {@code golden/rflow/} (made by {@code tools/golden/rflow.py}).
 */
final class RFlowGolden {
  private RFlowGolden() {}

  static StateDict tensors() {
    try {
      Path p = Path.of(RFlowGolden.class.getResource("/golden/rflow/rflow.safetensors").toURI());
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
    try (InputStream in = RFlowGolden.class.getResourceAsStream("/golden/rflow/rflow.json")) {
      return com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build()
          .readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static double[] doubles(JsonNode array) {
    double[] d = new double[array.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = array.get(i).asDouble();
    }
    return d;
  }

  /**
   * The script's fake model: {@code tanh(A·x) + β·t/1000 + δ·e_row + γ·x_mask}, with {@code e_row}
   * the mean of that row's text (given here per row instead of the text itself); each call's t and
   * x_mask are appended to {@code calls} (if not null). Caller's scope.
   */
  static FlowModel fakeModel(
      Tensor a,
      Tensor beta,
      Tensor delta,
      Tensor gamma,
      double[] rowText,
      java.util.List<double[][]> calls) {
    return (x, t, xMask) -> {
      if (calls != null) {
        calls.add(
            new double[][] {
              Tensors.toDoubles(t),
              xMask == null ? null : Tensors.toDoubles(xMask.to(ScalarType.Double))
            });
      }
      long rows = Shapes.of(x)[0];
      if (rows != rowText.length) {
        throw new IllegalStateException(
            "fake model: " + rows + " rows but " + rowText.length + " text rows");
      }
      Tensor out;
      try (TensorVector v = new TensorVector(a, x)) {
        out = torch.tanh(torch.einsum("oc,bcfhw->bofhw", v));
      }
      Tensor e = Tensors.of(rowText, rowText.length).to(ScalarType.Float);
      out = out.add(channel(beta).mul(t.div(new Scalar(1000.0)).view(-1, 1, 1, 1, 1)));
      out = out.add(channel(delta).mul(e.view(-1, 1, 1, 1, 1)));
      if (xMask != null) {
        long frames = Shapes.of(xMask)[1];
        out = out.add(channel(gamma).mul(xMask.to(ScalarType.Float).view(-1, 1, frames, 1, 1)));
      }
      return out;
    };
  }

  /** Per-row means over all but the batch dimension of a text tensor {@code [B, 1, L, D]}. */
  static double[] rowMeans(Tensor y) {
    return Tensors.toDoubles(
        y.mean(new long[] {1, 2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional()));
  }

  private static Tensor channel(Tensor v) {
    return v.view(1, -1, 1, 1, 1);
  }

  /** Asserts |a − b| ≤ atol + rtol·|b| element-wise, naming the worst element. */
  static void assertClose(Tensor expected, Tensor actual, double rtol, double atol, String what) {
    io.jsora.testing.TensorAssert.assertClose(expected, actual, rtol, atol, what);
  }
}
