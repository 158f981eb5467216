package io.jsora.parallel;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A miniature DiT for mesh tests: patch embedding and timestep conditioning (before the split), one
 * residual attention block on the split sequence, a modulated final layer on the gathered sequence.
 * Names under {@code blocks.} are the partial-gradient parameters.
 */
final class MeshModel {
  static final int S = 8;
  static final int CIN = 4;
  static final int C = 16;
  static final int H = 4;
  static final int TDIM = 5;
  static final int COUT = 3;

  private MeshModel() {}

  /** Parameters seeded identically on every rank; the caller's scope owns them. */
  static Map<String, Tensor> params() {
    Map<String, Tensor> p = new LinkedHashMap<>();
    p.put("embed.weight", SpWorker.leaf(SpWorker.randn(70, C, CIN).mul(new Scalar(0.4))));
    p.put("embed.bias", SpWorker.leaf(SpWorker.randn(71, C).mul(new Scalar(0.1))));
    p.put("t.weight", SpWorker.leaf(SpWorker.randn(72, C, TDIM).mul(new Scalar(0.3))));
    p.put("blocks.0.qkv.weight", SpWorker.leaf(SpWorker.randn(73, 3 * C, C).mul(new Scalar(0.3))));
    p.put("blocks.0.qkv.bias", SpWorker.leaf(SpWorker.randn(74, 3 * C).mul(new Scalar(0.1))));
    p.put("blocks.0.proj.weight", SpWorker.leaf(SpWorker.randn(75, C, C).mul(new Scalar(0.3))));
    p.put("blocks.0.proj.bias", SpWorker.leaf(SpWorker.randn(76, C).mul(new Scalar(0.1))));
    p.put("final.weight", SpWorker.leaf(SpWorker.randn(77, COUT, C).mul(new Scalar(0.3))));
    p.put("final.bias", SpWorker.leaf(SpWorker.randn(78, COUT).mul(new Scalar(0.1))));
    return p;
  }

  /** Whether a parameter's gradient is complete on each SP rank (used outside the split region). */
  static boolean complete(String name) {
    return !name.startsWith("blocks.");
  }

  /** Sample {@code i}: tokens (1, S, CIN), timestep features (1, TDIM), target (1, S, COUT). */
  static Tensor[] sample(long i) {
    return new Tensor[] {
      SpWorker.randn(1000 + 3 * i, 1, S, CIN),
      SpWorker.randn(1001 + 3 * i, 1, TDIM),
      SpWorker.randn(1002 + 3 * i, 1, S, COUT)
    };
  }

  /** Mean squared error of one sample; {@code sp} splits the sequence (identity when P = 1). */
  static Tensor loss(Map<String, Tensor> p, SequenceParallel sp, Tensor[] sample) {
    Tensor h =
        torch.linear(
            sample[0], p.get("embed.weight"), new TensorOptional(p.get("embed.bias"))); // (1, S, C)
    Tensor c = torch.linear(sample[1], p.get("t.weight")); // (1, C)
    Tensor hs = sp.split(h, 1).add(sp.replicated(c).unsqueeze(1)); // (1, S/P, C)
    Tensor att =
        SpAttention.forward(
            sp,
            hs,
            H,
            SpAttention.fusedQkv(p.get("blocks.0.qkv.weight"), p.get("blocks.0.qkv.bias"), H),
            SpAttention.sdpa(),
            o ->
                torch.linear(
                    o,
                    p.get("blocks.0.proj.weight"),
                    new TensorOptional(p.get("blocks.0.proj.bias"))));
    Tensor y = sp.gather(hs.add(att), 1); // (1, S, C)
    Tensor mod =
        y.mul(
            c.unsqueeze(1)
                .add(new Scalar(1.0))); // (1, S, C), conditioning used outside the region too
    Tensor out =
        torch.linear(
            mod, p.get("final.weight"), new TensorOptional(p.get("final.bias"))); // (1, S, COUT)
    return out.sub(sample[2]).pow(new Scalar(2.0)).mean();
  }
}
