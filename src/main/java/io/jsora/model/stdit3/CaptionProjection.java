package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * T5 states to the model width (upstream {@code CaptionEmbedder}): {@code y_proj} is an MLP {@code
 * fc1} (caption_channels → C), tanh-GELU, {@code fc2} (C → C); {@code y_embedding} {@code
 * [model_max_length, caption_channels]} is the learned null caption, a persistent buffer the
 * sampler uses as the unconditional text (and training as the dropped caption).
 *
 * <p>State-dict names: {@code y_proj.fc1.*}, {@code y_proj.fc2.*}, {@code y_embedding}.
 */
public final class CaptionProjection extends Layer {
  private final Mlp yProj;
  private final Tensor yEmbedding;

  CaptionProjection(long captionChannels, long dim, long tokens, Device meta) {
    yProj = child("y_proj", new Mlp(captionChannels, dim, dim, meta));
    yEmbedding =
        own(
            Params.buffer(
                this,
                "y_embedding",
                meta,
                () ->
                    torch
                        .randn(tokens, captionChannels)
                        .div(new Scalar(Math.sqrt((double) captionChannels))),
                tokens,
                captionChannels));
  }

  /**
   * @param y {@code [B, 1, L, caption_channels]}
   * @return {@code [B, 1, L, C]}
   */
  public Tensor forward(Tensor y) {
    return yProj.forward(y); // (B, 1, L, C)
  }

  /** The null caption {@code [model_max_length, caption_channels]} (the module's buffer). */
  public Tensor yEmbedding() {
    return yEmbedding;
  }

  public Mlp yProj() {
    return yProj;
  }
}
