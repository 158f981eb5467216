package io.jsora.model.dit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Which fixed positional embedding a DiT adds to its tokens (the config's {@code pos_embed}). */
public enum PosEmbed {
  /** Sin-cos of each video token's (t, h, w): the model knows where every token is. Default. */
  THW("thw"),
  /**
   * The reference checkpoints' table: a 2D sin-cos table over a fixed grid, indexed by token number
   * (text tokens first in token-concat), so it does not know T, H or W. For loading them.
   */
  INDEX("index");

  private final String id;

  PosEmbed(String id) {
    this.id = id;
  }

  @JsonValue
  public String id() {
    return id;
  }

  @JsonCreator
  public static PosEmbed parse(String name) {
    for (PosEmbed p : values()) {
      if (p.id.equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown pos_embed '" + name + "'; expected thw or index");
  }

  @Override
  public String toString() {
    return id;
  }
}
