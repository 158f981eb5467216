package io.jsora.train;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Gradient norm and clipping over a set of parameters, as one global (L2) norm. */
public final class GradClip {
  private GradClip() {}

  /**
   * The L2 norm of all gradients together (parameters without a gradient are skipped); NaN or
   * infinite if any gradient is.
   */
  public static double globalNorm(List<Tensor> params) {
    try (PointerScope s = new PointerScope()) {
      TensorVector norms = new TensorVector();
      for (Tensor p : params) {
        Tensor g = p.grad();
        if (g.defined()) {
          norms.push_back(g.detach().to(torch.ScalarType.Float).norm());
        }
      }
      return norms.size() == 0 ? 0.0 : torch.stack(norms).norm().item_double();
    }
  }

  /**
   * Scales all gradients so their global norm is at most {@code maxNorm} (PyTorch's {@code
   * clip_grad_norm_}: factor {@code maxNorm / (norm + 1e-6)} when it is below 1).
   *
   * @param maxNorm the bound; 0 or less only measures
   * @return the global norm BEFORE clipping (NaN/inf pass through so a guard can see them)
   */
  public static double clip(List<Tensor> params, double maxNorm) {
    if (maxNorm <= 0) {
      return globalNorm(params);
    }
    try (PointerScope s = new PointerScope()) {
      TensorVector v = new TensorVector(params.toArray(new Tensor[0]));
      return torch.clip_grad_norm_(v, maxNorm);
    }
  }
}
