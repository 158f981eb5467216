package io.jsora.nn;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Text states into the model's width ({@code proj}, a Linear), plus the classifier-free-guidance
 * drop that replaces a sample's whole text by zeros (the null text).
 *
 * <p>The drop never draws random numbers: callers pass which samples to drop, so training stays
 * reproducible from per-sample seeded streams, and sampling passes zeros for the unconditional half
 * the same way.
 */
public final class CaptionEmbedder extends Layer {
  private final LinearImpl proj;

  public CaptionEmbedder(long textDim, long dim) {
    proj = child("proj", new LinearImpl(textDim, dim));
  }

  /**
   * @param text {@code [B, L, Dt]} or pooled {@code [B, Dt]}
   * @return {@code [B, L, D]} or {@code [B, D]}
   */
  public Tensor forward(Tensor text) {
    return proj.forward(text); // (B, [L,] D)
  }

  /**
   * Replaces the text of every sample with {@code drop[b]} true by zeros.
   *
   * @param text {@code [B, ...]}
   * @param drop {@code [B]} bool (or 0/1 integers), or null for no drop
   * @return {@code text} itself when {@code drop} is null, else a new tensor
   */
  public static Tensor dropSamples(Tensor text, Tensor drop) {
    if (drop == null) {
      return text;
    }
    long[] ts = Shapes.of(text);
    Shapes.check(drop, "drop_text", ts[0]);
    long[] view = new long[ts.length];
    java.util.Arrays.fill(view, 1);
    view[0] = ts[0];
    Tensor mask =
        drop.to(torch.ScalarType.Bool)
            .to(text.device(), torch.ScalarType.Bool)
            .view(view); // (B, 1, ...)
    return text.masked_fill(mask, new Scalar(0.0)); // (B, ...)
  }

  public LinearImpl proj() {
    return proj;
  }
}
