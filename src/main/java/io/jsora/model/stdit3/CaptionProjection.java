package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.tensor.Scopes;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * T5 states to the model width (upstream {@code CaptionEmbedder}): {@code y_proj} is an MLP
 * {@code fc1} (caption_channels → C), tanh-GELU, {@code fc2} (C → C); {@code y_embedding}
 * {@code [model_max_length, caption_channels]} is the learned null caption, a persistent buffer
 * the sampler uses as the unconditional text (and training as the dropped caption).
 *
 * <p>State-dict names: {@code y_proj.fc1.*}, {@code y_proj.fc2.*}, {@code y_embedding}.
 */
public final class CaptionProjection extends Layer {
  private final LinearImpl fc1;
  private final LinearImpl fc2;
  private final Tensor yEmbedding;

  CaptionProjection(long captionChannels, long dim, long tokens) {
    Module yProj = child("y_proj", new Module());
    fc1 = child(yProj, "fc1", new LinearImpl(captionChannels, dim));
    fc2 = child(yProj, "fc2", new LinearImpl(dim, dim));
    try (Tensor init = Scopes.local(() -> new Tensor[] {
        torch.randn(tokens, captionChannels).div(new Scalar(Math.sqrt((double) captionChannels)))})[0]) {
      yEmbedding = own(new Tensor(register_buffer("y_embedding", init)));
    }
  }

  /**
   * @param y {@code [B, 1, L, caption_channels]}
   * @return {@code [B, 1, L, C]}
   */
  public Tensor forward(Tensor y) {
    return fc2.forward(torch.gelu(fc1.forward(y), "tanh")); // (B, 1, L, C)
  }

  /** The null caption {@code [model_max_length, caption_channels]} (the module's buffer). */
  public Tensor yEmbedding() {
    return yEmbedding;
  }

  public LinearImpl fc1() {
    return fc1;
  }

  public LinearImpl fc2() {
    return fc2;
  }
}
