package io.jsora.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An enum-like setting: every constant has one canonical spelling ({@link #id()}, what configs and
 * checkpoints write) and may accept other spellings ({@link #aliases()}, e.g. the reference's
 * names), declared next to the constant. {@link #parse} is the one way a string becomes a constant
 * — flags, config-file keys and checkpoint fields all go through it — so every such setting accepts
 * the same forms (case-insensitive, surrounding blanks ignored, {@code _} and {@code -}
 * interchangeable) and fails with the same message.
 *
 * <p>An enum implements it and forwards its Jackson creator to {@link #parse}:
 *
 * <pre>{@code
 * public enum Arch implements Choice {
 *   ADALN("adaln"), CROSS_ATTN("cross-attn", "cross_attn");
 *   ...
 *   @JsonValue public String id() { return id; }
 *   @JsonCreator public static Arch parse(String s) { return Choice.parse(Arch.class, s); }
 * }
 * }</pre>
 */
public interface Choice {
  /** The canonical spelling. */
  String id();

  /** Other accepted spellings. */
  default List<String> aliases() {
    return List.of();
  }

  /**
   * The constant of {@code type} spelled {@code value}.
   *
   * @throws InvalidChoiceException naming the value and the allowed spellings
   */
  static <E extends Enum<E> & Choice> E parse(Class<E> type, String value) {
    if (value != null) {
      String v = normalise(value);
      for (E e : type.getEnumConstants()) {
        if (normalise(e.id()).equals(v)) {
          return e;
        }
        for (String a : e.aliases()) {
          if (normalise(a).equals(v)) {
            return e;
          }
        }
      }
    }
    throw new InvalidChoiceException(value, ids(type));
  }

  /** The canonical spellings of {@code type}, in declaration order. */
  static <E extends Enum<E> & Choice> List<String> ids(Class<E> type) {
    List<String> out = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      out.add(e.id());
    }
    return out;
  }

  private static String normalise(String s) {
    return s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
