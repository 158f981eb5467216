package io.jsora.model.text;

import java.util.List;

/**
 * Turns captions into the conditioning a DiT consumes. Implementations: the CLIP text model (real
 * checkpoints) and the built-in offline encoder; both load from a Hugging Face-style directory
 * through {@link TextEncoders#load}.
 */
public interface TextEncoder extends AutoCloseable {
  /**
   * Encodes a batch of captions (inference, no gradients). Captions longer than {@link
   * #maxLength()} tokens are truncated with a warning; L is the longest caption's token count
   * (special tokens included). The encoder is causal, so a caption's states do not depend on how
   * far its batch is padded: the same caption gives the same first states in any batch.
   *
   * @return hidden states {@code [B, L, D]}, mask {@code [B, L]} and pooled {@code [B, D]} on the
   *     encoder's device; caller owns
   */
  TextEmbeddings encode(List<String> captions);

  /** D, the width of hidden and pooled states. */
  int hiddenSize();

  /** The longest token sequence, including special tokens (77 for CLIP). */
  int maxLength();

  /**
   * What made these embeddings, recorded in datasets and checkpoints so training and sampling reuse
   * the same encoder: a local directory path, a Hugging Face id, or {@code builtin:...}.
   */
  String id();

  @Override
  void close();
}
