package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Which checkpoint a training run continues from.
 *
 * @param kind {@link Kind#AUTO}: the latest checkpoint in the run's checkpoint directory, if any
 *     (else a fresh start); {@link Kind#NONE}: a fresh start; {@link Kind#DIR}: the checkpoint
 *     {@code dir} (or the latest inside a run directory)
 * @param dir the directory for {@link Kind#DIR}, else null
 */
public record ResumeSpec(Kind kind, String dir) {
  /** The kinds of resume. */
  public enum Kind {
    AUTO,
    NONE,
    DIR
  }

  public static final ResumeSpec AUTO = new ResumeSpec(Kind.AUTO, null);
  public static final ResumeSpec NONE = new ResumeSpec(Kind.NONE, null);

  public ResumeSpec {
    if (kind == null) {
      throw new IllegalArgumentException("resume kind must be set");
    }
    if ((kind == Kind.DIR) != (dir != null && !dir.isBlank())) {
      throw new IllegalArgumentException(
          "resume: a directory goes with DIR and only with DIR, got " + kind + " " + dir);
    }
  }

  /** Parses {@code auto}, {@code none} (or empty) or a checkpoint directory. */
  @JsonCreator
  public static ResumeSpec parse(String s) {
    if (s == null || s.isBlank() || s.trim().equalsIgnoreCase("none")) {
      return NONE;
    }
    if (s.trim().equalsIgnoreCase("auto")) {
      return AUTO;
    }
    return new ResumeSpec(Kind.DIR, s);
  }

  /** The spelling {@link #parse} reads. */
  @JsonValue
  @Override
  public String toString() {
    return switch (kind) {
      case AUTO -> "auto";
      case NONE -> "none";
      case DIR -> dir;
    };
  }
}
