package io.jsora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.jsora.tensor.Natives;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The leak check itself: the counter it relies on sees tensor handles and scopes release them; a
 * test that leaves a tensor alive fails, one that releases what it made passes.
 */
class NativeLeakCheckTest {
  @Test
  void counterSeesTensorsAndScopesReleaseThem() {
    Natives.load();
    long base = Pointer.totalCount();
    try (PointerScope s = new PointerScope()) {
      Tensor a = torch.randn(new long[] {8, 8});
      Tensor b = a.matmul(a).add(a);
      assertTrue(Pointer.totalCount() >= base + 2, "tensor handles are counted");
      b.sum();
    }
    assertEquals(base, Pointer.totalCount(), "scope released every handle");
    Tensor leaked = torch.ones(new long[] {3});
    assertEquals(base + 1, Pointer.totalCount(), "a handle outside a scope stays counted");
    leaked.close();
    assertEquals(base, Pointer.totalCount());
  }

  /** Set only by {@link #aTestThatLeaksATensorFails}: {@link Probe} runs nowhere else. */
  static final String PROBING = "jsora.testing.leak-probe";

  /** Tests the check is tried on, launched by the test below through the JUnit engine. */
  @ExtendWith(NativeLeakCheck.class)
  @EnabledIf("probing")
  static class Probe {
    static Tensor leaked;
    static Tensor allowed;

    static boolean probing(ExtensionContext c) {
      return c.getConfigurationParameter(PROBING).isPresent();
    }

    @Test
    void leaksATensor() {
      leaked = torch.ones(2, 3);
    }

    @Test
    void closesItsTensor() {
      try (Tensor t = torch.ones(2, 3)) {
        t.add_(t);
      }
    }

    @Test
    void releasesThroughAScope() {
      try (PointerScope s = new PointerScope()) {
        torch.ones(2, 3).mul(torch.ones(2, 3)).sum();
      }
    }

    @Test
    @NativeLeakCheck.Allow("kept on purpose, to see the exemption")
    void keepsATensorItIsAllowedTo() {
      allowed = torch.ones(2, 3);
    }
  }

  @Test
  void aTestThatLeaksATensorFails() {
    Events tests;
    try {
      tests =
          EngineTestKit.engine("junit-jupiter")
              .configurationParameter(PROBING, "true")
              .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false")
              .selectors(selectClass(Probe.class))
              .execute()
              .testEvents();
    } finally {
      for (Tensor t : new Tensor[] {Probe.leaked, Probe.allowed}) {
        if (t != null) {
          t.close();
        }
      }
    }
    assertEquals(4, tests.started().count(), "probe tests run");
    List<Event> failed = tests.failed().list();
    assertEquals(1, failed.size(), "failures: " + failed);
    Event f = failed.get(0);
    assertEquals("leaksATensor()", f.getTestDescriptor().getDisplayName());
    Throwable why =
        f.getPayload(org.junit.platform.engine.TestExecutionResult.class)
            .orElseThrow()
            .getThrowable()
            .orElseThrow();
    assertTrue(why instanceof AssertionError, why.toString());
    assertTrue(
        why.getMessage()
            .startsWith("native leak: 1 JavaCPP pointer(s) still alive after leaksATensor()"),
        why.getMessage());
    assertEquals(3, tests.succeeded().count());
  }
}
