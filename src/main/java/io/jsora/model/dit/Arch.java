package io.jsora.model.dit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** How a DiT conditions on text (the config's {@code model_arch}). */
public enum Arch {
  /**
   * Pooled text → Linear, added to the timestep embedding; blocks use self-attention over video
   * tokens and adaLN-zero conditioning.
   */
  ADALN("adaln"),
  /** Each block's only attention is video-to-text cross-attention on the raw text states. */
  CROSS_ATTN("cross-attn"),
  /** Text states → Linear, prepended to the video tokens; self-attention over both. */
  TOKEN_CONCAT("token-concat"),
  /** Self-attention over video tokens, then cross-attention to the text, then the MLP. */
  SELF_CROSS("self-cross");

  private final String id;

  Arch(String id) {
    this.id = id;
  }

  /** The name used in configs and on the command line. */
  @JsonValue
  public String id() {
    return id;
  }

  /** Whether the text input is pooled {@code [B, D]} rather than states {@code [B, L, D]}. */
  public boolean pooledText() {
    return this == ADALN;
  }

  /** Whether blocks attend to the raw text states (so the model has no text projection). */
  public boolean crossAttends() {
    return this == CROSS_ATTN || this == SELF_CROSS;
  }

  /** Parses {@code adaln}, {@code cross-attn}, {@code token-concat} or {@code self-cross}. */
  @JsonCreator
  public static Arch parse(String name) {
    for (Arch a : values()) {
      if (a.id.equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown model_arch '" + name + "'; expected one of "
        + Arrays.stream(values()).map(Arch::id).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return id;
  }
}
