package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SDPA against a naive attention written with plain matmul and softmax, in float64. */
class AttentionTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Tensor randn(Generator g, long... shape) {
    return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
  }

  /** softmax(q kᵀ / sqrt(d), masked keys at -inf) v, in float64. */
  static Tensor naive(Tensor q, Tensor k, Tensor v, boolean[][] keyValid) {
    Tensor qd = q.to(torch.ScalarType.Double);
    long hd = Shapes.of(q)[3];
    Tensor scores =
        torch
            .matmul(qd, k.to(torch.ScalarType.Double).transpose(2, 3))
            .div(new Scalar(Math.sqrt(hd))); // (B, h, Sq, Skv)
    if (keyValid != null) {
      long b = keyValid.length;
      long skv = keyValid[0].length;
      float[] add = new float[(int) (b * skv)];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < skv; j++) {
          add[(int) (i * skv + j)] = keyValid[i][j] ? 0f : Float.NEGATIVE_INFINITY;
        }
      }
      scores = scores.add(Tensors.of(add, b, 1, 1, skv).to(torch.ScalarType.Double));
    }
    return torch
        .matmul(scores.softmax(-1), v.to(torch.ScalarType.Double))
        .to(torch.ScalarType.Float);
  }

  static Tensor validity(boolean[][] keyValid) {
    long b = keyValid.length;
    long s = keyValid[0].length;
    long[] v = new long[(int) (b * s)];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < s; j++) {
        v[(int) (i * s + j)] = keyValid[i][j] ? 1 : 0;
      }
    }
    return Tensors.of(v, b, s);
  }

  static double maxDiff(Tensor a, Tensor b) {
    return a.sub(b).abs().max().item_double();
  }

  @Test
  void sdpaCoreEqualsNaiveAttentionWithAndWithoutKeyPadding() {
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(7)) {
      Tensor q = randn(g, 2, 3, 5, 8);
      Tensor k = randn(g, 2, 3, 7, 8);
      Tensor v = randn(g, 2, 3, 7, 8);
      assertTrue(maxDiff(Attention.core(q, k, v, null), naive(q, k, v, null)) < 1e-6);
      boolean[][] valid = {
        {true, true, true, true, true, true, true}, {true, false, true, true, false, false, false}
      };
      Tensor mask = Attention.keyPaddingMask(validity(valid));
      assertArrayEquals(new long[] {2, 1, 1, 7}, Shapes.of(mask));
      double err = maxDiff(Attention.core(q, k, v, mask), naive(q, k, v, valid));
      assertTrue(err < 1e-6, "masked SDPA vs naive: " + err);
    }
  }

  @Test
  void aSampleWithNoRealKeyAttendsUniformlyInsteadOfNaN() {
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(8)) {
      Tensor q = randn(g, 2, 2, 3, 4);
      Tensor k = randn(g, 2, 2, 4, 4);
      Tensor v = randn(g, 2, 2, 4, 4);
      boolean[][] valid = {{true, true, false, false}, {false, false, false, false}};
      Tensor out = Attention.core(q, k, v, Attention.keyPaddingMask(validity(valid)));
      assertFalse(out.isnan().any().item_bool());
      boolean[][] all = {{true, true, false, false}, {true, true, true, true}};
      assertTrue(maxDiff(out, naive(q, k, v, all)) < 1e-6);
    }
  }

  @Test
  void moduleForwardEqualsItsStepsAndTheNaiveOracleForSelfAndCrossAttention() {
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(9)) {
      torch.manual_seed(3);
      Attention self = new Attention(16, 16, 4);
      Attention cross = new Attention(16, 6, 4);
      Tensor x = randn(g, 2, 5, 16);
      Tensor ctx = randn(g, 2, 3, 6);
      // self-attention through the whole module vs the oracle on its projections
      Tensor y = self.forward(x, null, null);
      Tensor q = self.splitHeads(self.projectQ(x));
      assertArrayEquals(new long[] {2, 4, 5, 4}, Shapes.of(q));
      Tensor ref =
          self.projectOut(
              Attention.mergeHeads(
                  naive(
                      q,
                      self.splitHeads(self.projectK(x)),
                      self.splitHeads(self.projectV(x)),
                      null)));
      assertTrue(maxDiff(y, ref) < 1e-6);
      // cross-attention with padded text
      boolean[][] valid = {{true, true, true}, {true, false, false}};
      Tensor yc = cross.forward(x, ctx, Attention.keyPaddingMask(validity(valid)));
      assertArrayEquals(new long[] {2, 5, 16}, Shapes.of(yc));
      Tensor qc = cross.splitHeads(cross.projectQ(x));
      Tensor refc =
          cross.projectOut(
              Attention.mergeHeads(
                  naive(
                      qc,
                      cross.splitHeads(cross.projectK(ctx)),
                      cross.splitHeads(cross.projectV(ctx)),
                      valid)));
      assertTrue(maxDiff(yc, refc) < 1e-6);
      // reference parameter names
      var names = io.jsora.checkpoint.StateDict.of(cross);
      assertEquals(
          "[to_q.weight, to_q.bias, to_k.weight, to_k.bias, to_v.weight, to_v.bias, to_out.0.weight, to_out.0.bias]",
          names.names().toString());
      assertArrayEquals(new long[] {16, 6}, Shapes.of(names.get("to_k.weight")));
      names.close();
    }
  }

  @Test
  void splitHeadsWorksOnASliceOfTheHeads() {
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(10)) {
      Attention a = new Attention(16, 16, 4);
      Tensor half =
          randn(g, 2, 5, 8); // two of the four heads, as after a sequence-parallel all-to-all
      Tensor h = a.splitHeads(half);
      assertArrayEquals(new long[] {2, 2, 5, 4}, Shapes.of(h));
      assertEquals(0.0, maxDiff(Attention.mergeHeads(h), half));
    }
  }
}
