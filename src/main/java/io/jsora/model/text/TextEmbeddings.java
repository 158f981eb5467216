package io.jsora.model.text;

import org.bytedeco.pytorch.Tensor;

/**
 * Encoded captions; owns its tensors.
 *
 * @param hidden last hidden states {@code [B, L, D]} float32, padded to the longest caption
 * @param mask {@code [B, L]} int64, 1 for real tokens, 0 for padding
 * @param pooled {@code [B, D]} float32, the final state at the end-of-text token
 */
public record TextEmbeddings(Tensor hidden, Tensor mask, Tensor pooled) implements AutoCloseable {
  @Override
  public void close() {
    hidden.close();
    mask.close();
    pooled.close();
  }
}
