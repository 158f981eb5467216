package io.jsora.nn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Base of jsora's modules: registers children under their PyTorch state-dict names and owns every
 * Java handle it keeps, so closing the root module releases the whole tree at once.
 *
 * <p>Two reasons to hold the handles: a child created from Java is a native object with a Java peer
 * that libtorch calls back into (virtual functions such as {@code to()}), and JavaCPP keeps only a
 * weak reference to that peer, so a child nobody holds can be collected while the parent still
 * calls it (seen as a {@code NullPointerException} inside {@code Module.to}); and a handle nobody
 * closes keeps its native module alive until the garbage collector happens to run.
 */
public abstract class Layer extends Module {
  private final List<Pointer> owned = new ArrayList<>();

  /** Registers {@code module} as child {@code name} and keeps its handle; returns it. */
  protected final <M extends Module> M child(String name, M module) {
    register_module(name, module);
    return own(module);
  }

  /** Registers {@code module} under {@code parent} (a plain container child) and keeps its handle. */
  protected final <M extends Module> M child(Module parent, String name, M module) {
    parent.register_module(name, module);
    return own(module);
  }

  /** Keeps {@code p}, closed with this layer. */
  protected final <P extends Pointer> P own(P p) {
    owned.add(p);
    return p;
  }

  /** Number of parameter elements of this module and its descendants. */
  public final long parameterCount() {
    return parameterCount(this);
  }

  /** Number of parameter elements of {@code module} and its descendants. */
  public static long parameterCount(Module module) {
    long n = 0;
    try (TensorVector ps = module.parameters()) {
      for (long i = 0; i < ps.size(); i++) {
        try (Tensor p = ps.get(i)) {
          n += p.numel();
        }
      }
    }
    return n;
  }

  /** Closes every kept handle (newest first), then this module's own handle. */
  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      Pointer p = owned.get(i);
      if (p != null && !p.isNull()) {
        p.close();
      }
    }
    owned.clear();
    super.close();
  }
}
