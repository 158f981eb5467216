package io.jsora.model.dit;

import static io.jsora.model.dit.DiTFixtures.maxDiff;
import static io.jsora.model.dit.DiTFixtures.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every arch × patch size on tiny configs. */
class DiTTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static Stream<Arguments> archAndPatch() {
    List<Arguments> out = new ArrayList<>();
    for (Arch a : Arch.values()) {
      for (int p : new int[] {2, 4, 8}) {
        out.add(Arguments.of(a, p));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} p{1}")
  @MethodSource("archAndPatch")
  void freshModelHasTheRightShapesParametersAndOutputsZeros(Arch arch, int p) {
    DiTConfig c = DiTFixtures.tiny(arch, p);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(1);
        NoGradGuard ng = new NoGradGuard()) {
      torch.manual_seed(1);
      DiT model = new DiT(c);
      assertEquals(DiTCost.parameters(c), model.parameterCount(), "analytic parameter count");
      Tensor x = randn(g, 2, 3, 2, 8, 16);
      Tensor out =
          model.forward(x, Tensors.of(new long[] {1, 900}, 2), DiTFixtures.text(g, c, 2), null);
      assertArrayEquals(new long[] {2, 6, 2, 8, 16}, Shapes.of(out));
      assertEquals(0.0, out.abs().max().item_double(), "adaLN-zero: a fresh model outputs zeros");
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void parameterNamesAreTheReferenceStateDictNames(Arch arch) {
    try (PointerScope s = new PointerScope()) {
      DiT model = new DiT(DiTFixtures.tiny(arch, 2));
      try (StateDict sd = StateDict.of(model)) {
        TreeSet<String> names = new TreeSet<>(sd.names());
        List<String> expected =
            new ArrayList<>(
                List.of(
                    "video_embedder.proj.weight",
                    "video_embedder.proj.bias",
                    "t_embedder.mlp.0.weight",
                    "t_embedder.mlp.0.bias",
                    "t_embedder.mlp.2.weight",
                    "t_embedder.mlp.2.bias",
                    "final_layer.linear.weight",
                    "final_layer.linear.bias",
                    "final_layer.adaLN_modulation.1.weight",
                    "final_layer.adaLN_modulation.1.bias"));
        if (!arch.crossAttends()) {
          expected.addAll(List.of("text_embedder.proj.weight", "text_embedder.proj.bias"));
        }
        for (int i = 0; i < 2; i++) {
          List<String> mods =
              new ArrayList<>(
                  List.of(
                      "attn.to_q",
                      "attn.to_k",
                      "attn.to_v",
                      "attn.to_out.0",
                      "mlp.fc1",
                      "mlp.fc2",
                      "adaLN_modulation.1"));
          if (arch == Arch.SELF_CROSS) {
            mods.addAll(
                List.of(
                    "cross_attn.to_q",
                    "cross_attn.to_k",
                    "cross_attn.to_v",
                    "cross_attn.to_out.0"));
          }
          for (String m : mods) {
            expected.add("blocks." + i + "." + m + ".weight");
            expected.add("blocks." + i + "." + m + ".bias");
          }
        }
        assertEquals(new TreeSet<>(expected), names);
        assertArrayEquals(
            new long[] {32, 3, 2, 2}, Shapes.of(sd.get("video_embedder.proj.weight")));
        long kIn = arch == Arch.CROSS_ATTN ? DiTFixtures.TEXT_DIM : 32;
        assertArrayEquals(new long[] {32, kIn}, Shapes.of(sd.get("blocks.0.attn.to_k.weight")));
        if (arch == Arch.SELF_CROSS) {
          assertArrayEquals(
              new long[] {32, DiTFixtures.TEXT_DIM},
              Shapes.of(sd.get("blocks.1.cross_attn.to_v.weight")));
        }
        assertArrayEquals(
            new long[] {2 * 2 * 6, 32}, Shapes.of(sd.get("final_layer.linear.weight")));
      }
    }
  }

  /**
   * adaLN-zero means gradients arrive in stages: at the first backward only the output linear has a
   * gradient; after two optimizer steps every parameter receives one.
   */
  @ParameterizedTest(name = "{0} p{1}")
  @MethodSource("archAndPatch")
  void gradientsReachEveryParameterOnceTheZeroInitialisedLayersHaveMoved(Arch arch, int p) {
    DiTConfig c = DiTFixtures.tiny(arch, p);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(2)) {
      torch.manual_seed(2);
      DiT model = new DiT(c);
      model.train(true);
      Adam opt = new Adam(model.parameters(), new AdamOptions(1e-2));
      Tensor x = randn(g, 2, 3, 2, 8, 8);
      Tensor t = Tensors.of(new long[] {5, 700}, 2);
      Tensor text = DiTFixtures.text(g, c, 2);
      Tensor target = randn(g, 2, 6, 2, 8, 8);
      for (int step = 0; step < 3; step++) {
        opt.zero_grad(true);
        try (PointerScope stepScope = new PointerScope()) {
          model
              .forward(x, t, text, null)
              .sub(target)
              .pow(new org.bytedeco.pytorch.Scalar(2.0))
              .mean()
              .backward();
        }
        try (StateDict sd = StateDict.of(model)) {
          List<String> zero = new ArrayList<>();
          for (String name : sd.names()) {
            Tensor gr = sd.get(name).grad();
            if (!gr.defined() || gr.abs().max().item_double() == 0.0) {
              zero.add(name);
            }
          }
          if (step == 0) {
            List<String> nonzero = new ArrayList<>(sd.names());
            nonzero.removeAll(zero);
            assertEquals(List.of("final_layer.linear.weight", "final_layer.linear.bias"), nonzero);
          }
          if (step == 2) {
            assertEquals(List.of(), zero, "parameters without gradient after two optimizer steps");
          }
        }
        opt.step();
      }
    }
  }

  /**
   * The whole forward pass (SDPA, fused LayerNorm, ...) against {@link NaiveDiT} in float64, with
   * text padding.
   */
  @ParameterizedTest(name = "{0} p{1}")
  @MethodSource("archAndPatch")
  void equalsANaiveFloat64ForwardWithExplicitSoftmaxAttention(Arch arch, int p) {
    for (PosEmbed pe : PosEmbed.values()) {
      DiTConfig c = DiTFixtures.tiny(arch, p).withPosEmbed(pe);
      try (PointerScope s = new PointerScope();
          Generator g = torch.createCPUGenerator(8);
          NoGradGuard ng = new NoGradGuard()) {
        DiT model = new DiT(c);
        DiTFixtures.randomize(model, 80 + p);
        Tensor x = randn(g, 2, 3, 2, 8, 16);
        long[] t = {17, 912};
        Tensor text = DiTFixtures.text(g, c, 2);
        Tensor mask =
            arch.pooledText()
                ? null
                : Tensors.of(new long[] {1, 1, 1, 1, 1, 1, 0, 1, 0, 0}, 2, DiTFixtures.TEXT_LEN);
        Tensor out = model.forward(x, Tensors.of(t, 2), text, mask);
        try (StateDict sd = StateDict.of(model)) {
          Tensor ref = new NaiveDiT(c, sd).forward(x, t, text, mask);
          double scale = ref.abs().max().item_double();
          double err = maxDiff(out.to(torch.ScalarType.Double), ref);
          // float32 vs float64: relative error ~5e-6 seen; any structural slip is O(1)
          assertTrue(
              scale > 0.1 && err < 2e-5 * Math.max(1, scale),
              arch + " p" + p + " " + pe + ": max |diff| " + err + " (scale " + scale + ")");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void paddedTextDoesNotChangeRealOutputs(Arch arch) {
    DiTConfig c = DiTFixtures.tiny(arch, 2);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(3);
        NoGradGuard ng = new NoGradGuard()) {
      DiT model = new DiT(c);
      DiTFixtures.randomize(model, 30);
      Tensor x = randn(g, 2, 3, 2, 6, 8); // 24 tokens each
      Tensor t = Tensors.of(new float[] {3f, 400f}, 2);
      Tensor text = DiTFixtures.text(g, c, 2);
      Tensor mask =
          arch.pooledText()
              ? null
              : Tensors.of(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, 2, DiTFixtures.TEXT_LEN);
      Tensor batch = model.forward(x, t, text, mask); // (2, 6, 2, 6, 8)
      assertArrayEquals(new long[] {2, 6, 2, 6, 8}, Shapes.of(batch));
      // each sample alone, with its padded text tokens cut off
      for (int i = 0; i < 2; i++) {
        Tensor ti = t.narrow(0, i, 1);
        Tensor texti = text.narrow(0, i, 1);
        if (!arch.pooledText() && i == 0) {
          texti = texti.narrow(1, 0, 3);
        }
        Tensor alone = model.forward(x.narrow(0, i, 1), ti, texti, null).squeeze(0);
        double err = maxDiff(alone, batch.select(0, i));
        assertTrue(
            err < 2e-5,
            arch + " sample " + i + ": batch with padded text vs alone differ by " + err);
        assertTrue(
            alone.abs().max().item_double() > 0.1, "randomised model gives a nonzero output");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void droppedTextIsTheZeroTextAndDrawsNoRandomNumbers(Arch arch) {
    DiTConfig c = DiTFixtures.tiny(arch, 4);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(4);
        NoGradGuard ng = new NoGradGuard()) {
      DiT model = new DiT(c);
      DiTFixtures.randomize(model, 40);
      model.train(true);
      Tensor x = randn(g, 2, 3, 1, 8, 8);
      Tensor t = Tensors.of(new long[] {10, 20}, 2);
      Tensor text = DiTFixtures.text(g, c, 2);
      Tensor drop = Tensors.of(new long[] {0, 1}, 2).to(torch.ScalarType.Bool);
      torch.manual_seed(99);
      Tensor before = torch.rand(1);
      torch.manual_seed(99);
      Tensor out = model.forward(x, t, text, null, drop);
      assertEquals(
          before.item_double(),
          torch.rand(1).item_double(),
          "forward drew from the global generator");
      Tensor zeroed =
          torch.cat(
              new org.bytedeco.pytorch.TensorVector(
                  text.narrow(0, 0, 1), torch.zeros_like(text.narrow(0, 1, 1))),
              0);
      assertEquals(0.0, maxDiff(out, model.forward(x, t, zeroed, null)));
      assertTrue(
          maxDiff(out, model.forward(x, t, text, null)) > 1e-3, "dropping text changes the output");
    }
  }

  @Test
  void thwPositionsTellFramesApartWhereTheIndexTableCannotSeeTheShape() {
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(5);
        NoGradGuard ng = new NoGradGuard()) {
      // the same 8 tokens laid out as 2 frames of 2x2 patches or 1 frame of 2x4 patches
      Tensor a = randn(g, 1, 3, 2, 4, 4);
      Tensor b =
          a.permute(0, 1, 3, 2, 4)
              .reshape(1, 3, 1, 4, 8); // not a relabelling of tokens; just another shape
      for (PosEmbed pe : PosEmbed.values()) {
        DiT model = new DiT(DiTFixtures.tiny(Arch.ADALN, 2).withPosEmbed(pe));
        DiTFixtures.randomize(model, 50);
        Tensor t = Tensors.of(new long[] {7}, 1);
        Tensor text = randn(g, 1, DiTFixtures.TEXT_DIM);
        // token k of each layout gets the same content: compare outputs in token space
        Tensor ta = io.jsora.nn.PatchEmbed.patchify(model.forward(a, t, text, null), 2);
        Tensor xb =
            io.jsora.nn.PatchEmbed.unpatchify(io.jsora.nn.PatchEmbed.patchify(a, 2), 3, 1, 4, 8, 2);
        Tensor tb = io.jsora.nn.PatchEmbed.patchify(model.forward(xb, t, text, null), 2);
        double diff = maxDiff(ta, tb);
        if (pe == PosEmbed.INDEX) {
          assertTrue(diff < 1e-5, "index positions depend only on token numbers: " + diff);
        } else {
          assertTrue(diff > 1e-3, "thw positions must see the layout: " + diff);
        }
        assertTrue(b.numel() == a.numel());
      }
    }
  }

  @Test
  void runsInBfloat16WithFloat32InputsCloseToFloat32() {
    DiTConfig c = DiTFixtures.tiny(Arch.SELF_CROSS, 2);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(7);
        NoGradGuard ng = new NoGradGuard()) {
      DiT model = new DiT(c);
      DiTFixtures.randomize(model, 70);
      Tensor x = randn(g, 1, 3, 1, 4, 4);
      Tensor t = Tensors.of(new long[] {100}, 1);
      Tensor text = DiTFixtures.text(g, c, 1);
      Tensor ref = model.forward(x, t, text, null);
      model.to(torch.ScalarType.BFloat16, false);
      Tensor out = model.forward(x, t, text, null);
      assertEquals(torch.ScalarType.BFloat16.value, out.scalar_type().value);
      double rel = maxDiff(out.to(torch.ScalarType.Float), ref) / ref.abs().max().item_double();
      assertTrue(rel < 0.05, "bf16 vs f32 relative error " + rel);
    }
  }

  @Test
  void badInputsAreRejectedWithShapes() {
    DiTConfig c = DiTFixtures.tiny(Arch.CROSS_ATTN, 4);
    try (PointerScope s = new PointerScope();
        Generator g = torch.createCPUGenerator(6);
        NoGradGuard ng = new NoGradGuard()) {
      DiT model = new DiT(c);
      Tensor t = Tensors.of(new long[] {1, 2}, 2);
      Tensor text = DiTFixtures.text(g, c, 2);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(randn(g, 2, 3, 1, 6, 8), t, text, null));
      assertTrue(e.getMessage().contains("multiples of the patch size 4"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(randn(g, 2, 4, 1, 8, 8), t, text, null));
      assertTrue(e.getMessage().contains("expected 3 channels"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(randn(g, 2, 3, 1, 8, 8), t, randn(g, 2, 12), null));
      assertTrue(
          e.getMessage().startsWith("text: expected shape [2, *, 12], found [2, 12]"),
          e.getMessage());
    }
  }
}
