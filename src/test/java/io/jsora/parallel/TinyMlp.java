package io.jsora.parallel;

import io.jsora.tensor.Scopes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A small seeded MLP as plain parameter tensors, for optimizer and data-parallel tests: {@code y =
 * fc2(gelu(fc1(x)) * norm.weight)}, loss = mean squared error. Has 2-D weights (weight decay
 * applies) and 1-D biases and gains (it does not).
 */
final class TinyMlp {
  static final int D = 6;
  static final int H = 10;
  static final int O = 3; // odd sizes (fc2.bias) exercise bucket padding

  private TinyMlp() {}

  /** Parameters (leaf tensors requiring grad) seeded by {@code seed}; the caller closes them. */
  static Map<String, Tensor> params(long seed) {
    Map<String, Tensor> p = new LinkedHashMap<>();
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(seed);
      p.put("fc1.weight", param(g, 0.4, H, D));
      p.put("fc1.bias", param(g, 0.1, H));
      p.put("norm.weight", param(g, 0.1, H).add_(new Scalar(1.0)));
      p.put("fc2.weight", param(g, 0.3, O, H));
      p.put("fc2.bias", param(g, 0.1, O));
      p.replaceAll(
          (k, t) -> {
            Tensor leaf = t.detach();
            leaf.requires_grad_(
                true); // returns a non-owning reference: keep the detach() handle itself
            return Scopes.keep(leaf);
          });
    }
    return p;
  }

  /** Seeded samples: x (n, D) and targets (n, O); caller's scope owns them. */
  static Tensor[] data(long seed, int n) {
    Generator g = torch.createCPUGenerator(seed);
    Tensor x =
        torch.randn(
            new long[] {n, D}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
    Tensor y =
        torch.randn(
            new long[] {n, O}, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
    return new Tensor[] {x, y};
  }

  /**
   * Mean squared error of the model on (x, y), with the parameters named in {@code frozen} replaced
   * by detached copies (they get no gradient from this loss).
   */
  static Tensor loss(Map<String, Tensor> p, Tensor x, Tensor y, java.util.Set<String> frozen) {
    Map<String, Tensor> q = new LinkedHashMap<>(p);
    for (String name : frozen) {
      q.put(name, p.get(name).detach());
    }
    return loss(q, x, y);
  }

  /** Mean squared error of the model on (x, y). */
  static Tensor loss(Map<String, Tensor> p, Tensor x, Tensor y) {
    Tensor h =
        torch.gelu(
            torch.linear(x, p.get("fc1.weight"), new TensorOptional(p.get("fc1.bias")))); // (n, H)
    h = h.mul(p.get("norm.weight")); // (n, H)
    Tensor out =
        torch.linear(h, p.get("fc2.weight"), new TensorOptional(p.get("fc2.bias"))); // (n, O)
    return out.sub(y).pow(new Scalar(2.0)).mean();
  }

  static void close(Map<String, Tensor> p) {
    Scopes.closeAll(p.values());
  }

  private static Tensor param(Generator g, double scale, long... shape) {
    return torch
        .randn(shape, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float))
        .mul_(new Scalar(scale));
  }
}
