package io.jsora.nn;

import java.util.function.Function;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

/**
 * Activation checkpointing for libtorch from Java: a segment's activations are not kept during the
 * forward pass but recomputed during the backward pass, inside an ordinary {@code loss.backward()}.
 *
 * <p>libtorch has no {@code torch::utils::checkpoint} and Java cannot subclass an autograd {@code
 * Function}, so the segment is spliced into the graph with tensor hooks:
 *
 * <ol>
 *   <li>forward: {@code y = fn(inputs)} runs under no-grad in a local scope (nothing saved, every
 *       temporary freed); the output is {@code out = y + 0·Σ alias_i.sum()} where {@code alias_i}
 *       is a view of each input that requires grad. That zero term saves no tensors but gives
 *       {@code out} a graph edge to every input;
 *   <li>a hook on {@code out} receives {@code dL/dy} once it is complete, recomputes {@code fn}
 *       with grad enabled on detached copies of the inputs and runs a nested backward with {@code
 *       dL/dy}: parameter gradients accumulate into their {@code .grad} as usual, and the inputs'
 *       gradients are stored;
 *   <li>a hook on each {@code alias_i} replaces the zero gradient arriving through the zero term
 *       with the stored input gradient, which autograd then carries upstream (so parameters reached
 *       through an input, such as a conditioning vector shared by every block, get their full
 *       gradient).
 * </ol>
 *
 * The only tensors kept between forward and backward are the inputs themselves. The zero term sums
 * in float64, so it is exactly zero for any finite input. Gradients equal the plain path's up to
 * the order of floating-point accumulation.
 *
 * <p>Limits: use {@code backward()}, not {@code autograd::grad} (parameter gradients accumulate
 * into {@code .grad}, as with PyTorch's reentrant checkpoint); {@code fn} must be deterministic (no
 * dropout or random draws) and return one new tensor. Call it inside the step's {@link
 * PointerScope}: the hooks and saved inputs live in that scope until it closes, so the backward
 * pass must run before it closes.
 */
public final class Checkpoint {
  private Checkpoint() {}

  /**
   * Returns {@code fn(inputs)}, recomputing it during backward when grad mode is on; with grad mode
   * off it just runs {@code fn} in a local scope. {@code inputs} may contain nulls (passed
   * through). The result belongs to the enclosing scope.
   */
  public static Tensor apply(Function<Tensor[], Tensor> fn, Tensor... inputs) {
    if (!GradMode.is_enabled()) {
      return LocalScope.run(() -> fn.apply(inputs));
    }
    PointerScope owner = PointerScope.getInnerScope();
    Segment seg = new Segment(fn, inputs.length);
    Tensor out;
    try (PointerScope local = new PointerScope()) {
      for (int i = 0; i < inputs.length; i++) {
        if (inputs[i] != null) {
          seg.saved[i] = keep(inputs[i].detach());
          seg.needsGrad[i] = inputs[i].requires_grad();
        }
      }
      Tensor y;
      try (NoGradGuard g = new NoGradGuard()) {
        y = fn.apply(seg.saved);
      }
      // out = y + 0 * sum_i alias_i.sum(float64): a graph edge to every input, no saved tensors
      Tensor zero = null;
      for (int i = 0; i < inputs.length; i++) {
        if (seg.needsGrad[i]) {
          Tensor alias = inputs[i].view(io.jsora.tensor.Shapes.of(inputs[i]));
          seg.inputHooks[i] = keep(new InputHook(seg, i));
          alias.register_hook(seg.inputHooks[i]);
          Tensor s = alias.sum(new ScalarTypeOptional(torch.ScalarType.Double));
          zero = zero == null ? s : zero.add(s);
        }
      }
      if (zero == null) {
        // no input needs grad, but parameters inside fn may: a dummy leaf carries the edge
        zero =
            torch
                .zeros(new long[] {}, new TensorOptions(torch.ScalarType.Double))
                .requires_grad_(true);
      }
      out = y.add(zero.mul(new Scalar(0.0)));
      seg.outHook = keep(new OutputHook(seg));
      out.register_hook(seg.outHook);
      out.retainReference();
    }
    // the saved inputs and hooks must outlive the local scope: the caller's scope owns them
    for (int i = 0; i < inputs.length; i++) {
      if (seg.saved[i] != null) {
        LocalScope.handTo(owner, seg.saved[i]);
      }
      if (seg.inputHooks[i] != null) {
        LocalScope.handTo(owner, seg.inputHooks[i]);
      }
    }
    LocalScope.handTo(owner, seg.outHook);
    seg.owner = owner;
    return LocalScope.handTo(owner, out);
  }

  private static <P extends Pointer> P keep(P p) {
    return p.retainReference();
  }

  /** State shared by one segment's hooks. */
  private static final class Segment {
    final Function<Tensor[], Tensor> fn;
    final Tensor[] saved;
    final boolean[] needsGrad;
    final InputHook[] inputHooks;
    final Tensor[] grads;
    OutputHook outHook;
    PointerScope owner;

    Segment(Function<Tensor[], Tensor> fn, int n) {
      this.fn = fn;
      this.saved = new Tensor[n];
      this.needsGrad = new boolean[n];
      this.inputHooks = new InputHook[n];
      this.grads = new Tensor[n];
    }

    /**
     * The scope that receives tensors handed back to autograd: the backward caller's, else the
     * forward's.
     */
    PointerScope sink() {
      PointerScope s = PointerScope.getInnerScope();
      return s != null ? s : owner;
    }

    /** Recomputes fn with grad and back-propagates {@code gy}; stores the inputs' gradients. */
    void recompute(Tensor gy) {
      PointerScope sink = sink();
      try (PointerScope local = new PointerScope();
          AutoGradMode on = new AutoGradMode(true)) {
        Tensor[] in = new Tensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
          if (saved[i] != null) {
            in[i] = saved[i].detach().requires_grad_(needsGrad[i]);
          }
        }
        Tensor y = fn.apply(in);
        y.backward(gy, new BoolOptional(), false, new TensorArrayRefOptional());
        for (int i = 0; i < saved.length; i++) {
          if (needsGrad[i]) {
            Tensor g =
                in[i].grad(); // a view of the leaf's grad slot, dies with the leaf: copy the handle
            grads[i] = (g.defined() ? new Tensor(g) : torch.zeros_like(in[i])).retainReference();
          }
        }
      }
      for (int i = 0; i < grads.length; i++) {
        if (grads[i] != null) {
          LocalScope.handTo(sink, grads[i]);
        }
      }
    }
  }

  /** On the segment's output: the gradient is complete here, so recompute and back-propagate. */
  private static final class OutputHook extends TensorTensorHook {
    private final Segment seg;

    OutputHook(Segment seg) {
      this.seg = seg;
    }

    @Override
    public TensorBase call(TensorBase grad) {
      try (Tensor gy = new Tensor(grad)) {
        seg.recompute(gy);
      }
      return grad;
    }
  }

  /** On one input's alias: swaps the zero gradient of the connecting term for the real one. */
  private static final class InputHook extends TensorTensorHook {
    private final Segment seg;
    private final int index;

    InputHook(Segment seg, int index) {
      this.seg = seg;
      this.index = index;
    }

    @Override
    public TensorBase call(TensorBase grad) {
      Tensor g = seg.grads[index];
      if (g == null) {
        throw new IllegalStateException(
            "checkpoint: input " + index + " got its gradient before the segment output");
      }
      seg.grads[index] = null;
      return g;
    }
  }
}
