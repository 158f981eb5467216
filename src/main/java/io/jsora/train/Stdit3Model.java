package io.jsora.train;

import io.jsora.diffusion.Denoiser;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.nn.Layer;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.ModelSpec;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * An STDiT3 as the trainer trains it, as upstream's training step feeds it: the T5-style caption
 * {@code y [B, 1, L, D]} padded to {@code model_max_length} with its key mask, the null caption
 * {@code y_embedding} in place of a dropped caption (its mask kept, as upstream's {@code
 * token_drop}), the frame mask as {@code x_mask} (condition frames get the timestep-0 modulation),
 * and the videos' fps, height and width.
 */
final class Stdit3Model implements TrainedModel {
  private final STDiT3 model;

  Stdit3Model(STDiT3 model) {
    this.model = model;
  }

  STDiT3 stdit3() {
    return model;
  }

  @Override
  public Layer module() {
    return model;
  }

  @Override
  public ModelSpec spec() {
    return new ModelSpec.Stdit3(model.config());
  }

  @Override
  public boolean hasCompleteGradient(String name) {
    return STDiT3.hasCompleteGradient(name);
  }

  @Override
  public void setSequenceParallel(SequenceParallel sp) {
    model.setSequenceParallel(sp);
  }

  @Override
  public FlowModel flow(Conditions c) {
    Caption y = caption(model, c.text(), c.textMask(), c.dropText()); // (B, 1, L, D), (B, L)
    long b = Shapes.of(c.text())[0];
    TensorOptions f32 = new TensorOptions(ScalarType.Float);
    Tensor fps = torch.full(new long[] {b}, new Scalar(c.fps()), f32); // (B)
    Tensor height = torch.full(new long[] {b}, new Scalar((double) c.height()), f32); // (B)
    Tensor width = torch.full(new long[] {b}, new Scalar((double) c.width()), f32); // (B)
    return (x, t, xMask) -> model.forward(x, t, y.states(), y.mask(), xMask, fps, height, width);
  }

  @Override
  public Denoiser denoiser(Conditions c) {
    throw new IllegalStateException(
        "STDiT3 trains with rectified flow only (process rflow), not with IDDPM");
  }

  @Override
  public long tokens(long[] xs) {
    STDiT3Config mc = model.config();
    return xs[0]
        * ceilDiv(xs[2], mc.patch(0))
        * ceilDiv(xs[3], mc.patch(1))
        * ceilDiv(xs[4], mc.patch(2));
  }

  /** A caption as STDiT3 takes it: states {@code [B, 1, L, D]}, key mask {@code [B, L]}. */
  record Caption(Tensor states, Tensor mask) {}

  /**
   * The batch's text as STDiT3 takes it: padded with masked zeros to {@code model_max_length}
   * tokens, and the null caption where {@code dropText} is true.
   *
   * @param text {@code [B, L, D]} with {@code L <= model_max_length}
   * @param textMask {@code [B, L]} (1 = real token), or null for all real
   * @param dropText {@code [B]} bool, or null for no dropout
   * @return tensors in the caller's scope
   */
  static Caption caption(STDiT3 model, Tensor text, Tensor textMask, Tensor dropText) {
    STDiT3Config mc = model.config();
    long[] ts = Shapes.of(text);
    if (ts.length != 3) {
      throw new IllegalArgumentException(
          "STDiT3 takes text token states [B, L, D]; the data holds pooled text "
              + Shapes.format(ts)
              + ": preprocess it with token states");
    }
    long lmax = mc.modelMaxLength();
    if (ts[1] > lmax) {
      throw new IllegalArgumentException(
          "a caption of "
              + ts[1]
              + " text tokens is longer than the model's model_max_length "
              + lmax
              + "; use a model config with model_max_length >= "
              + ts[1]);
    }
    Tensor mask =
        textMask == null
            ? torch
                .ones(new long[] {ts[0], ts[1]}, new TensorOptions(ScalarType.Long))
                .to(text.device(), ScalarType.Long)
            : textMask.to(text.device(), ScalarType.Long); // (B, L)
    Tensor y = text.to(ScalarType.Float); // (B, L, D)
    if (ts[1] < lmax) {
      y = torch.pad(y, new long[] {0, 0, 0, lmax - ts[1]}); // (B, Lmax, D)
      mask = torch.pad(mask, new long[] {0, lmax - ts[1]}); // (B, Lmax)
    }
    if (dropText != null) {
      Tensor nul =
          model.nullCaption().to(text.device(), ScalarType.Float).unsqueeze(0); // (1, Lmax, D)
      y = torch.where(dropText.view(ts[0], 1, 1), nul, y); // (B, Lmax, D)
    }
    return new Caption(y.unsqueeze(1), mask); // (B, 1, Lmax, D), (B, Lmax)
  }

  private static long ceilDiv(long n, long p) {
    return (n + p - 1) / p;
  }

  @Override
  public void close() {
    model.close();
  }
}
