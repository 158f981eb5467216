package io.jsora.model.dit;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Puts text in the form an architecture takes: {@code adaln} conditions on one pooled vector per
 * caption, the others on the sequence of token states with its padding mask.
 *
 * <p>Datasets store the encoder's last hidden states without padding; the pooled output of a CLIP
 * text model is the state of its end-of-text token, which is the last real token, so the pooled
 * form can always be recovered from the states. A dataset stored pooled only feeds the
 * sequence-taking archs as a sequence of one.
 *
 * @param text pooled {@code [B, D]} for adaln, else states {@code [B, L, D]}
 * @param mask {@code [B, L]} (1 = real token) beside states, or null (pooled text, or all real)
 */
public record TextConditioning(Tensor text, Tensor mask) {

  /**
   * Text for a model of {@code arch}.
   *
   * @param text states {@code [B, L, D]} or pooled {@code [B, D]}
   * @param mask {@code [B, L]} (1 = real token) for states, null for pooled (or all real)
   * @return pooled {@code [B, D]} without mask for adaln, else states {@code [B, L, D]} with a mask
   *     or null; in the enclosing scope
   */
  public static TextConditioning forArch(Arch arch, Tensor text, Tensor mask) {
    long[] s = Shapes.of(text);
    if (s.length != 2 && s.length != 3) {
      throw new IllegalArgumentException(
          "text: expected [B, L, D] states or [B, D] pooled, found " + Shapes.format(s));
    }
    boolean pooled = s.length == 2;
    if (arch.pooledText()) {
      return new TextConditioning(pooled ? text : lastRealState(text, mask), null);
    }
    return pooled
        ? new TextConditioning(text.unsqueeze(1), null)
        : new TextConditioning(text, mask);
  }

  /**
   * The state of each caption's last real token: {@code [B, L, D]} and {@code [B, L]} → {@code [B,
   * D]}; with no mask, the last position.
   */
  public static Tensor lastRealState(Tensor states, Tensor mask) {
    long[] s = Shapes.of(states);
    if (mask == null) {
      return states.select(1, s[1] - 1); // (B, D)
    }
    Shapes.check(mask, "text mask", s[0], s[1]);
    Tensor last =
        mask.to(ScalarType.Long).sum(1).sub(new Scalar(1L)).clamp_min(new Scalar(0L)); // (B)
    Tensor index = last.view(s[0], 1, 1).expand(new long[] {s[0], 1, s[2]}); // (B, 1, D)
    return states.gather(1, index).squeeze(1); // (B, D)
  }
}
