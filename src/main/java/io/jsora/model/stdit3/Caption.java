package io.jsora.model.stdit3;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A caption as {@link STDiT3#forward} takes it, made from a text encoder's states: {@code states
 * [B, 1, model_max_length, caption_channels]} and the key mask {@code mask [B, model_max_length]}
 * (1 = real token). Upstream's T5 always pads to {@code model_max_length}; states from an encoder
 * that pads only to the batch's longest are padded here with masked zeros, which no query attends
 * to, so the result is the same.
 *
 * @param states {@code [B, 1, L, D]} float32
 * @param mask {@code [B, L]} int64
 */
public record Caption(Tensor states, Tensor mask) {
  /**
   * Pads {@code text} to the model's {@code model_max_length}.
   *
   * @param text {@code [B, L, D]} with {@code L <= model_max_length}
   * @param textMask {@code [B, L]} (1 = real token), or null for all real
   * @return tensors in the caller's scope
   * @throws IllegalArgumentException for pooled text or a caption longer than the model takes
   */
  public static Caption of(STDiT3Config config, Tensor text, Tensor textMask) {
    long[] ts = Shapes.of(text);
    if (ts.length != 3) {
      throw new IllegalArgumentException(
          "STDiT3 takes text token states [B, L, D]; got pooled text "
              + Shapes.format(ts)
              + ": use token states");
    }
    long lmax = config.modelMaxLength();
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
    return new Caption(y.unsqueeze(1), mask); // (B, 1, Lmax, D), (B, Lmax)
  }

  /**
   * This caption with the null caption {@code nullCaption [L, D]} ({@link STDiT3#nullCaption})
   * where {@code drop [B]} is true; the mask is kept, as upstream's caption dropout keeps it.
   *
   * @return a caption in the caller's scope
   */
  public Caption dropped(Tensor drop, Tensor nullCaption) {
    long[] s = Shapes.of(states);
    Tensor nul = nullCaption.to(states.device(), ScalarType.Float).view(1, 1, s[2], s[3]);
    return new Caption(
        torch.where(drop.view(s[0], 1, 1, 1), nul, states), mask); // (B, 1, L, D), (B, L)
  }

  /**
   * The null caption for a batch of {@code b}: {@code nullCaption [L, D]} repeated, with this
   * caption's mask (as upstream's guided sampling pairs them).
   */
  public Caption nullFor(Tensor nullCaption) {
    long[] s = Shapes.of(states);
    Tensor nul =
        nullCaption
            .to(states.device(), ScalarType.Float)
            .view(1, 1, s[2], s[3])
            .expand(s[0], 1, s[2], s[3]); // (B, 1, L, D)
    return new Caption(nul, mask);
  }
}
