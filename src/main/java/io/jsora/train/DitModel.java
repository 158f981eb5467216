package io.jsora.train;

import io.jsora.diffusion.Denoiser;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.TextConditioning;
import io.jsora.nn.Layer;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.ModelSpec;

/**
 * A DiT as the trainer trains it: the text in the form its architecture takes, zeros as the null
 * text (inside the model), no per-frame timestep (condition frames reach it as clean latents only),
 * and no fps or size conditioning.
 */
final class DitModel implements TrainedModel {
  private final DiT model;

  DitModel(DiT model) {
    this.model = model;
  }

  DiT dit() {
    return model;
  }

  @Override
  public Layer module() {
    return model;
  }

  @Override
  public ModelSpec spec() {
    return new ModelSpec.Dit(model.config());
  }

  @Override
  public boolean hasCompleteGradient(String name) {
    return DiT.hasCompleteGradient(name);
  }

  @Override
  public void setSequenceParallel(SequenceParallel sp) {
    model.setSequenceParallel(sp);
  }

  @Override
  public FlowModel flow(Conditions c) {
    TextConditioning text = text(c);
    return (x, t, frameMask) -> model.forward(x, t, text.text(), text.mask(), c.dropText());
  }

  @Override
  public Denoiser denoiser(Conditions c) {
    TextConditioning text = text(c);
    return (x, t) -> model.forward(x, t, text.text(), text.mask(), c.dropText());
  }

  private TextConditioning text(Conditions c) {
    return TextConditioning.forArch(model.config().modelArch(), c.text(), c.textMask());
  }

  @Override
  public long tokens(long[] xs) {
    DiTConfig mc = model.config();
    int p = mc.patchSize();
    return xs[0] * xs[2] * (xs[3] / p) * (xs[4] / p);
  }

  @Override
  public void close() {
    model.close();
  }
}
