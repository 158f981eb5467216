package io.jsora.checkpoint;

import java.util.List;

/**
 * Weights that do not fit a model: lists every missing key, unexpected key and shape mismatch in
 * one message, so a user sees the whole difference at once.
 */
public final class StateDictMismatchException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> missing;
  private final List<String> unexpected;
  private final List<String> mismatched;

  public StateDictMismatchException(
      String source, List<String> missing, List<String> unexpected, List<String> mismatched) {
    super(message(source, missing, unexpected, mismatched));
    this.missing = List.copyOf(missing);
    this.unexpected = List.copyOf(unexpected);
    this.mismatched = List.copyOf(mismatched);
  }

  public List<String> missing() {
    return missing;
  }

  public List<String> unexpected() {
    return unexpected;
  }

  public List<String> mismatched() {
    return mismatched;
  }

  private static String message(
      String source, List<String> missing, List<String> unexpected, List<String> mismatched) {
    StringBuilder b = new StringBuilder(source).append(": weights do not match the model");
    section(b, "missing keys", missing);
    section(b, "unexpected keys", unexpected);
    section(b, "shape mismatches", mismatched);
    return b.toString();
  }

  private static void section(StringBuilder b, String title, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    b.append("\n  ").append(items.size()).append(' ').append(title).append(':');
    for (String s : items) {
      b.append("\n    ").append(s);
    }
  }
}
