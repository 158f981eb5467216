package io.jsora.tensor;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;

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

  /**
   * Runs {@code body} in a fresh {@link org.bytedeco.javacpp.PointerScope}, so the temporary
   * tensors it makes are freed when it returns (autograd keeps what it saved), and hands the
   * tensors it returns to the scope enclosing this call (or, with none, to the caller). Without it
   * a step's scope would hold every intermediate until the step ends. The returned tensors must be
   * ones {@code body} created (nulls and repeats are allowed).
   */
  public static Tensor[] local(java.util.function.Supplier<Tensor[]> body) {
    org.bytedeco.javacpp.PointerScope outer = org.bytedeco.javacpp.PointerScope.getInnerScope();
    Tensor[] result;
    java.util.Set<Tensor> distinct =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    try (org.bytedeco.javacpp.PointerScope inner = new org.bytedeco.javacpp.PointerScope()) {
      result = body.get();
      for (Tensor t : result) {
        if (t != null && distinct.add(t)) {
          t.retainReference();
        }
      }
    }
    if (outer != null) {
      for (Tensor t : distinct) {
        outer.attach(t);
        t.releaseReference();
      }
    }
    return result;
  }
}
