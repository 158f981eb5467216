package io.jsora.serve;

import java.util.Optional;
import java.util.UUID;

/** Job ids: random UUIDs made here; a client's id is accepted only in canonical form. */
final class Ids {
  private Ids() {}

  static UUID next() {
    return UUID.randomUUID();
  }

  /**
   * The UUID {@code text} spells, only if it is the canonical lower-case form (so no other string,
   * such as a path, can reach a file route).
   */
  static Optional<UUID> parse(String text) {
    if (text == null || text.length() != 36) {
      return Optional.empty();
    }
    try {
      UUID u = UUID.fromString(text);
      return u.toString().equals(text) ? Optional.of(u) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
