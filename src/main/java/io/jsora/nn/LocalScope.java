package io.jsora.nn;

import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs a computation in its own {@link PointerScope} so every temporary handle it makes is freed
 * when it returns, and hands the result to the enclosing scope.
 *
 * <p>Why: a Java tensor handle keeps its native tensor alive until its scope closes. A training
 * step's scope would otherwise hold every intermediate of every block until the step ends, even
 * those autograd does not need; running each block in a local scope leaves only what the autograd
 * graph itself saved. (Without it, activation checkpointing would save nothing.)
 */
public final class LocalScope {
  private LocalScope() {}

  /**
   * Runs {@code body} in a fresh scope. The returned tensor belongs to the scope that encloses this
   * call (or, with none, to the caller, who must close it). {@code body} must return a tensor it
   * created, not one of its inputs.
   */
  public static Tensor run(Supplier<Tensor> body) {
    return io.jsora.tensor.Scopes.local(() -> new Tensor[] {body.get()})[0];
  }

  /**
   * Gives {@code p}, which carries one extra reference (from {@code retainReference}), to {@code
   * scope}: the scope then holds that reference. With a null scope the caller keeps it.
   */
  static <P extends Pointer> P handTo(PointerScope scope, P p) {
    if (scope != null) {
      scope.attach(p);
      p.releaseReference();
    }
    return p;
  }
}
