package io.jsora.model.dit;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Tiny seeded configs, weights and inputs for the DiT tests. */
final class DiTFixtures {
  private DiTFixtures() {}

  static final int TEXT_DIM = 12;
  static final int TEXT_LEN = 5;

  /** hidden 32, 2 blocks, 2 heads, 3 latent channels, 12-wide text, thw positions. */
  static DiTConfig tiny(Arch arch, int patch) {
    return new DiTConfig(
        patch,
        3,
        TEXT_DIM,
        32,
        2,
        2,
        4.0,
        DiTConfig.DEFAULT_MAX_NUM_EMBEDDINGS,
        0.1,
        true,
        arch,
        PosEmbed.THW,
        false,
        false);
  }

  static Tensor randn(Generator g, long... shape) {
    return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
  }

  /**
   * Overwrites every parameter with seeded N(0, 1/fan_in) values (biases N(0, 0.01)), so no gate is
   * zero.
   */
  static void randomize(Module m, long seed) {
    try (Generator g = torch.createCPUGenerator(seed);
        NoGradGuard ng = new NoGradGuard();
        StateDict sd = StateDict.of(m)) {
      for (String name : sd.names()) {
        Tensor p = sd.get(name);
        long[] s = Shapes.of(p);
        double std = s.length >= 2 ? 1.0 / Math.sqrt(Shapes.numel(s) / (double) s[0]) : 0.1;
        try (Tensor r = randn(g, s)) {
          p.copy_(r.mul(new org.bytedeco.pytorch.Scalar(std))).close();
        }
      }
    }
  }

  /** Text for {@code config}'s arch: pooled {@code [B, Dt]} for adaln, else {@code [B, L, Dt]}. */
  static Tensor text(Generator g, DiTConfig config, long b) {
    return config.modelArch().pooledText()
        ? randn(g, b, TEXT_DIM)
        : randn(g, b, TEXT_LEN, TEXT_DIM);
  }

  static double maxDiff(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }
}
