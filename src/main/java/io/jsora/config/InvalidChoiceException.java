package io.jsora.config;

import java.util.List;

/**
 * A string that names none of a setting's constants. The message says what was given and what is
 * allowed; the caller that knows where the value came from (a flag, a config key, a checkpoint
 * field) puts that in front.
 */
public final class InvalidChoiceException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String value;
  private final List<String> allowed;

  public InvalidChoiceException(String value, List<String> allowed) {
    super(
        (value == null ? "no value given; expected one of " : "'" + value + "' is not one of ")
            + String.join(", ", allowed));
    this.value = value;
    this.allowed = List.copyOf(allowed);
  }

  /** What was given (null when nothing was). */
  public String value() {
    return value;
  }

  /** The canonical spellings allowed. */
  public List<String> allowed() {
    return allowed;
  }
}
