package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Properties of STDiT3 beyond the golden outputs: masks, activation checkpointing, training
 * switches.
 */
class STDiT3Test {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** Forward of the golden model on the golden inputs with the given y, mask and x_mask. */
  private static Tensor run(STDiT3 m, StateDict in, Tensor y, Tensor mask, Tensor xMask) {
    return m.forward(
        in.get("x"),
        in.get("timestep"),
        y,
        mask,
        xMask,
        in.get("fps"),
        in.get("height"),
        in.get("width"));
  }

  @Test
  void captionPaddingIsInvisibleAndAnAllTrueFrameMaskChangesNothing() throws Exception {
    try (STDiT3 m = STDiT3GoldenTest.tinyModel();
        PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(STDiT3GoldenTest.golden("tiny_io.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      StateDict in = io.tensors();
      Tensor base = run(m, in, in.get("y"), in.get("mask"), null);
      // new values in the padded caption positions (mask 0) of both samples
      Tensor pad = in.get("mask").eq(new Scalar(0)).unsqueeze(1).unsqueeze(-1); // (B, 1, L, 1)
      Tensor y2 =
          in.get("y")
              .add(
                  torch.randn(in.get("y").sizes().vec().get()).mul(pad.to(torch.ScalarType.Float)));
      assertEquals(
          0.0, run(m, in, y2, in.get("mask"), null).sub(base).abs().max().item_double(), 0.0);
      // a real token changed in sample 1 changes sample 1 only
      Tensor y3 = in.get("y").clone();
      y3.select(0, 1).select(0, 0).select(0, 2).add_(new Scalar(1.0));
      Tensor d3 = run(m, in, y3, in.get("mask"), null).sub(base).abs();
      assertEquals(0.0, d3.select(0, 0).max().item_double(), 0.0);
      assertTrue(d3.select(0, 1).max().item_double() > 1e-4);
      // x_mask all true: every frame takes the t modulation, as without a mask
      Tensor all =
          torch.ones(
              new long[] {2, 3}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool));
      assertEquals(
          0.0,
          run(m, in, in.get("y"), in.get("mask"), all).sub(base).abs().max().item_double(),
          0.0);
    }
  }

  @Test
  void badMasksAreRejectedWithTheirShapes() throws Exception {
    try (STDiT3 m = STDiT3GoldenTest.tinyModel();
        PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(STDiT3GoldenTest.golden("tiny_io.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      StateDict in = io.tensors();
      Tensor empty = in.get("mask").clone();
      empty.select(0, 0).zero_();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> run(m, in, in.get("y"), empty, null));
      assertTrue(e.getMessage().contains("1 sample(s) have no real caption token"), e.getMessage());
      Tensor three =
          torch.ones(
              new long[] {3, 8}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long));
      e = assertThrows(IllegalArgumentException.class, () -> run(m, in, in.get("y"), three, null));
      assertTrue(
          e.getMessage()
              .contains("mask: expected [B, 8] or [B/k, 8] for batch B = 2, found [3, 8]"),
          e.getMessage());
      Tensor xm =
          torch.ones(
              new long[] {2, 4}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Bool));
      e =
          assertThrows(
              IllegalArgumentException.class, () -> run(m, in, in.get("y"), in.get("mask"), xm));
      assertTrue(e.getMessage().contains("x_mask"), e.getMessage());
    }
  }

  @Test
  void activationCheckpointingGivesTheSameGradients() throws Exception {
    List<double[]> runs = new ArrayList<>();
    for (boolean ckpt : new boolean[] {false, true}) {
      try (STDiT3 m = STDiT3GoldenTest.tinyModel();
          PointerScope s = new PointerScope();
          Weights.Loaded io = Weights.read(STDiT3GoldenTest.golden("tiny_io.safetensors"))) {
        StateDict in = io.tensors();
        m.train(true);
        m.setGradCheckpoint(ckpt);
        Seeds.manualSeed(7);
        Tensor out = run(m, in, in.get("y"), in.get("mask"), in.get("x_mask"));
        Tensor w = torch.randn(out.sizes().vec().get());
        out.mul(w).sum().backward();
        List<Double> g = new ArrayList<>();
        try (TensorVector ps = m.parameters()) {
          for (long i = 0; i < ps.size(); i++) {
            Tensor p = ps.get(i);
            Tensor gr = p.grad();
            g.add(gr.defined() ? gr.abs().sum().item_double() : -1.0);
            g.add(
                gr.defined()
                    ? gr.mul(torch.randn(gr.sizes().vec().get())).sum().item_double()
                    : 0.0);
          }
        }
        runs.add(g.stream().mapToDouble(Double::doubleValue).toArray());
      }
    }
    double[] a = runs.get(0);
    double[] b = runs.get(1);
    assertEquals(a.length, b.length);
    int trained = 0;
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-5 * Math.max(1.0, Math.abs(a[i])), "gradient statistic " + i);
      trained += a[i] > 0 && i % 2 == 0 ? 1 : 0;
    }
    // all but rope.freqs and the four y_embedder tensors (the tiny config sets freeze_y_embedder)
    assertEquals(a.length / 2 - 5, trained, "parameters with a non-zero gradient");
  }

  @Test
  void trainingSwitchesFreezeWhatUpstreamFreezes() throws Exception {
    STDiT3Config c =
        STDiT3Config.fromJson(
            "{\"hidden_size\": 16, \"depth\": 1, \"num_heads\": 2, \"caption_channels\": 8,"
                + " \"model_max_length\": 4, \"only_train_temporal\": true}",
            "c");
    try (STDiT3 m = STDiT3.declare(c);
        PointerScope s = new PointerScope()) {
      var named = m.named_parameters(true);
      int temporal = 0;
      for (long i = 0; i < named.size(); i++) {
        String k = named.get(i).key().getString();
        boolean grad = named.get(i).value().requires_grad();
        assertEquals(k.startsWith("temporal_blocks."), grad, k);
        temporal += grad ? 1 : 0;
      }
      assertTrue(temporal > 10);
    }
    try (STDiT3 m =
            STDiT3.declare(
                STDiT3Config.fromJson(
                    "{\"hidden_size\": 16, \"depth\": 1, \"num_heads\": 2,"
                        + " \"caption_channels\": 8, \"model_max_length\": 4, \"freeze_y_embedder\": true}",
                    "c"));
        PointerScope s = new PointerScope()) {
      var named = m.named_parameters(true);
      for (long i = 0; i < named.size(); i++) {
        String k = named.get(i).key().getString();
        boolean frozen = k.startsWith("y_embedder.") || k.equals("rope.freqs");
        assertEquals(!frozen, named.get(i).value().requires_grad(), k);
      }
      assertFalse(m.nullCaption().requires_grad());
    }
  }
}
