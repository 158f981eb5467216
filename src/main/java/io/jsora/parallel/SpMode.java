package io.jsora.parallel;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * How attention runs when the sequence is split over the ranks of a sequence-parallel group. Both
 * need the head count divisible by the group size.
 */
public enum SpMode implements Choice {
  /**
   * Each rank projects its own S/P tokens to q, k, v for all heads; an all-to-all trades the
   * sequence split for a head split ({@code [B, S/P, H] → [B, S, H/P]}); attention runs over the
   * whole sequence for H/P heads; an all-to-all trades back; each rank projects its own tokens out.
   * Two all-to-alls forward (q, k, v travel together), two backward.
   */
  ULYSSES("ulysses"),
  /**
   * All-gather the block input once; each rank projects the whole sequence with its slice of the
   * q/k/v weights (its H/P heads); attention; one all-to-all back to S/P tokens; output projection
   * on the local tokens. One all-gather and one all-to-all forward; backward a reduce-scatter and
   * an all-to-all.
   */
  FASTSEQ("fastseq", "fast-seq");
  private final String id;
  private final List<String> aliases;

  SpMode(String id, String... aliases) {
    this.id = id;
    this.aliases = List.of(aliases);
  }

  /** The spelling configs, checkpoints and the command line use. */
  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  /** Parses {@code ulysses} or {@code fastseq}. */
  @JsonCreator
  public static SpMode parse(String name) {
    return Choice.parse(SpMode.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
