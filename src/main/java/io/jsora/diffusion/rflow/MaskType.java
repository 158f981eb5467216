package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * The kinds of training frame masks ({@code MaskGenerator}'s names). Over the T latent frames of a
 * sample, with {@code K = ⌊T/4⌋} (at most a quarter of the frames become conditions):
 */
public enum MaskType implements Choice {
  /** Every frame generated (plain text-to-video). */
  IDENTITY("identity"),
  /** A run of 1..K condition frames at a random place. */
  QUARTER_RANDOM("quarter_random"),
  /** The first 1..K frames are conditions. */
  QUARTER_HEAD("quarter_head"),
  /** The last 1..K frames are conditions. */
  QUARTER_TAIL("quarter_tail"),
  /** The first and the last 1..K frames (one length for both) are conditions. */
  QUARTER_HEAD_TAIL("quarter_head_tail"),
  /** One random frame is a condition. */
  IMAGE_RANDOM("image_random"),
  /** The first frame is a condition (image-to-video). */
  IMAGE_HEAD("image_head"),
  /** The last frame is a condition. */
  IMAGE_TAIL("image_tail"),
  /** The first and the last frame are conditions (connecting two images). */
  IMAGE_HEAD_TAIL("image_head_tail"),
  /**
   * Each frame is a condition with probability r ~ U(0.1, 0.9); if none is generated, the last
   * frame is.
   */
  RANDOM("random"),
  /**
   * Every other frame, from frame 0 or 1 (even chance), is a condition. Upstream spells it {@code
   * intepolate}.
   */
  INTERPOLATE("interpolate", "intepolate");

  private final String id;
  private final String[] aliases;

  MaskType(String id, String... aliases) {
    this.id = id;
    this.aliases = aliases;
  }

  /** The name jsora writes. */
  @JsonValue
  @Override
  public String id() {
    return id;
  }

  /** Other accepted spellings (upstream's config keys where they differ). */
  @Override
  public List<String> aliases() {
    return List.of(aliases);
  }

  /** Whether the type draws a run of 1..⌊T/4⌋ frames (so it needs T ≥ 4). */
  public boolean quarter() {
    return this == QUARTER_RANDOM
        || this == QUARTER_HEAD
        || this == QUARTER_TAIL
        || this == QUARTER_HEAD_TAIL;
  }

  /** Parses a name or alias ({@code image_head}, {@code intepolate}, …). */
  @JsonCreator
  public static MaskType parse(String name) {
    return Choice.parse(MaskType.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
