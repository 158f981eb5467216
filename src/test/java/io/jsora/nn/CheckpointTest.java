package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Natives;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hook-based checkpoint against plain autograd on a small residual stack whose segments share a
 * conditioning vector made by a parameterised layer (gradients must reach it through every segment)
 * and read a constant context.
 */
class CheckpointTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static final class Net extends Module {
    final LinearImpl cond = register_module("cond", new LinearImpl(4, 8));
    final List<LinearImpl> layers = new ArrayList<>();

    Net() {
      for (int i = 0; i < 3; i++) {
        layers.add(register_module("l" + i, new LinearImpl(8, 8)));
      }
    }

    static Tensor segment(LinearImpl l, Tensor h, Tensor c, Tensor ctx) {
      return h.add(torch.tanh(l.forward(h).mul(c.unsqueeze(1)).add(ctx))); // (B, S, 8)
    }

    Tensor forward(Tensor x, Tensor z, Tensor ctx, boolean checkpoint) {
      Tensor c = cond.forward(z); // (B, 8)
      Tensor h = x;
      for (LinearImpl l : layers) {
        Tensor in = h;
        h =
            checkpoint
                ? Checkpoint.apply(a -> segment(l, a[0], a[1], a[2]), in, c, ctx)
                : segment(l, in, c, ctx);
      }
      return h;
    }
  }

  static StateDict grads(Net net, Tensor x, Tensor z, Tensor ctx, Tensor w, boolean checkpoint) {
    net.zero_grad(true);
    net.forward(x, z, ctx, checkpoint).mul(w).sum().backward();
    StateDict g = new StateDict();
    try (StateDict params = StateDict.of(net)) {
      for (String name : params.names()) {
        g.put(name, params.get(name).grad().clone());
      }
    }
    return g;
  }

  @Test
  void gradientsEqualPlainAutogradForParametersReachedDirectlyAndThroughTheSharedInput() {
    try (PointerScope s = new PointerScope()) {
      torch.manual_seed(5);
      Net net = new Net();
      Tensor x = torch.randn(2, 3, 8); // input that needs no grad: first segment has no input edge
      Tensor z = torch.randn(2, 4);
      Tensor ctx = torch.randn(2, 3, 8);
      Tensor w = torch.randn(2, 3, 8);
      try (StateDict plain = grads(net, x, z, ctx, w, false);
          StateDict ckpt = grads(net, x, z, ctx, w, true)) {
        assertEquals(8, plain.size());
        for (String name : plain.names()) {
          double scale = plain.get(name).abs().max().item_double();
          double err = plain.get(name).sub(ckpt.get(name)).abs().max().item_double();
          assertTrue(scale > 0, name + " has no gradient");
          assertTrue(
              err <= 1e-6 * scale, name + ": checkpointed vs plain gradient differs by " + err);
        }
      }
    }
  }

  @Test
  void inputGradientsFlowUpstreamAndForwardValuesAreUnchanged() {
    try (PointerScope s = new PointerScope()) {
      torch.manual_seed(6);
      Net net = new Net();
      Tensor x = torch.randn(2, 3, 8).requires_grad_(true);
      Tensor z = torch.randn(2, 4);
      Tensor ctx = torch.randn(2, 3, 8);
      Tensor yPlain = net.forward(x, z, ctx, false);
      yPlain.sum().backward();
      Tensor gPlain = x.grad().clone();
      x.grad().zero_();
      Tensor yCkpt = net.forward(x, z, ctx, true);
      assertEquals(0.0, yPlain.sub(yCkpt).abs().max().item_double());
      yCkpt.sum().backward();
      assertTrue(gPlain.sub(x.grad()).abs().max().item_double() < 1e-6);
    }
  }

  @Test
  void withoutGradModeItIsAPlainForward() {
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      torch.manual_seed(7);
      Net net = new Net();
      Tensor x = torch.randn(1, 2, 8);
      Tensor z = torch.randn(1, 4);
      Tensor ctx = torch.randn(1, 2, 8);
      Tensor y = net.forward(x, z, ctx, true);
      assertTrue(!y.requires_grad());
      assertEquals(0.0, y.sub(net.forward(x, z, ctx, false)).abs().max().item_double());
    }
  }
}
