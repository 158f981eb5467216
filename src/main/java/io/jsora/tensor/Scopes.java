package io.jsora.tensor;

import org.bytedeco.javacpp.Pointer;

/**
 * Helpers for the scope-based ownership model described in the package documentation.
 *
 * <p>{@code PointerScope.detach} changed meaning between JavaCPP versions (newer ones release the
 * pointer), so jsora never uses it; a value leaves its scope only through {@link #keep}.
 */
public final class Scopes {
  private Scopes() {}

  /**
   * Lets {@code p} survive the enclosing {@link org.bytedeco.javacpp.PointerScope}: adds one
   * reference, which the scope's release leaves behind. The caller then owns {@code p} and must
   * {@code close()} it.
   */
  public static <P extends Pointer> P keep(P p) {
    return p.retainReference();
  }

  /** Closes every non-null pointer, ignoring nulls; for owners of several tensors. */
  public static void closeAll(Iterable<? extends Pointer> pointers) {
    for (Pointer p : pointers) {
      if (p != null && !p.isNull()) {
        p.close();
      }
    }
  }
}
