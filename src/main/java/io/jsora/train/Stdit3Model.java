package io.jsora.train;

import io.jsora.diffusion.Denoiser;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.model.stdit3.Caption;
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
    Caption y =
        Caption.of(model.config(), c.text(), c.textMask())
            .dropped(c.dropText(), model.nullCaption()); // (B, 1, L, D), (B, L)
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

  private static long ceilDiv(long n, long p) {
    return (n + p - 1) / p;
  }

  @Override
  public void close() {
    model.close();
  }
}
