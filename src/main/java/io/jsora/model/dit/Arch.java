package io.jsora.model.dit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/** How a DiT conditions on text (the config's {@code model_arch}). */
public enum Arch implements Choice {
  /**
   * Pooled text → Linear, added to the timestep embedding; blocks use self-attention over video
   * tokens and adaLN-zero conditioning.
   */
  ADALN("adaln"),
  /** Each block's only attention is video-to-text cross-attention on the raw text states. */
  CROSS_ATTN("cross-attn", "crossattn"),
  /** Text states → Linear, prepended to the video tokens; self-attention over both. */
  TOKEN_CONCAT("token-concat", "tokenconcat"),
  /** Self-attention over video tokens, then cross-attention to the text, then the MLP. */
  SELF_CROSS("self-cross");

  private final String id;
  private final List<String> aliases;

  Arch(String id, String... aliases) {
    this.id = id;
    this.aliases = List.of(aliases);
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  /** The name used in configs and on the command line. */
  @JsonValue
  @Override
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
    return Choice.parse(Arch.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
