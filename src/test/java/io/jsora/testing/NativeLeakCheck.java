package io.jsora.testing;

import io.jsora.tensor.Natives;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails any test that leaves native pointers behind, as Arrow's allocators do for buffers.
 *
 * <p>JavaCPP counts every pointer that owns native memory (each {@link Tensor} handle, each
 * generator, vector and FFmpeg struct) in {@link Pointer#totalCount()}, and the count drops when a
 * scope or {@code close()} releases it; a spike confirmed the counter sees tensor handles made
 * inside and outside scopes. The check compares the count before and after each test method.
 * Registered for every test through JUnit's extension auto-detection, so it is always on; a test
 * that must keep objects across methods says why with {@link Allow}.
 */
public final class NativeLeakCheck
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback {
  /** Exempts a test (class or method) from the check; say why. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.TYPE, ElementType.METHOD})
  public @interface Allow {
    String value();
  }

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(NativeLeakCheck.class);
  private static volatile boolean warmedUp;

  @Override
  public void beforeAll(ExtensionContext context) {
    if (!warmedUp) {
      Natives.load();
      Natives.loadFfmpeg();
      // libtorch registers some per-type singletons on first use; make them before any baseline
      try (PointerScope s = new PointerScope()) {
        for (torch.ScalarType t :
            new torch.ScalarType[] {
              torch.ScalarType.Float,
              torch.ScalarType.Double,
              torch.ScalarType.Long,
              torch.ScalarType.Int,
              torch.ScalarType.Half,
              torch.ScalarType.BFloat16,
              torch.ScalarType.Bool,
              torch.ScalarType.Byte,
              torch.ScalarType.Char,
              torch.ScalarType.Short
            }) {
          Tensor x = torch.ones(new long[] {2}).to(t);
          x.add(x).sum();
        }
      }
      io.jsora.nn.BlasThreads.prepare(); // its two process-lifetime gradient hooks
      warmedUp = true;
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("count", Pointer.totalCount());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (allowed(context)) {
      return;
    }
    Long before = context.getStore(NS).get("count", Long.class);
    long after = Pointer.totalCount();
    if (before != null && after > before && context.getExecutionException().isEmpty()) {
      throw new AssertionError(
          "native leak: "
              + (after - before)
              + " JavaCPP pointer(s) still alive after "
              + context.getDisplayName()
              + " (count "
              + before
              + " -> "
              + after
              + "); run tensor work inside a PointerScope or close what the test creates");
    }
  }

  private static boolean allowed(ExtensionContext c) {
    return c.getTestMethod().map(m -> m.isAnnotationPresent(Allow.class)).orElse(false)
        || c.getTestClass().map(k -> k.isAnnotationPresent(Allow.class)).orElse(false);
  }
}
