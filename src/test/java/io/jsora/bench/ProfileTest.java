package io.jsora.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.model.dit.Arch;
import io.jsora.model.vae.CompressorKind;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.SpMode;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Precision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The profiler on the tiny DiT (DiT-T/4: 4 blocks, width 64): its rows account for every nanosecond
 * it recorded, they lie inside the independently timed steps, and every module shows up with the
 * calls the model makes (blocks × steps). No time is asserted.
 */
class ProfileTest {
  static final int RUNS = 3;
  static final int DEPTH = 4;
  static final int WIDTH = 64;
  static List<BenchRecord> records;
  static ModelBench.Options options;

  @BeforeAll
  static void profile() throws Exception {
    options =
        new ModelBench.Options(
            "DiT-T/4",
            Arch.ADALN,
            CompressorKind.RAW,
            2,
            16,
            16,
            2,
            4,
            8,
            null,
            Precision.FP32,
            1,
            SpMode.ULYSSES,
            DistEnv.single());
    try (Device cpu = Devices.cpu()) {
      records = ModelProfile.run(options, cpu, 1, RUNS);
    }
  }

  static ProfileTable table(String name) {
    for (BenchRecord r : records) {
      if (r.name().equals(name)) {
        return (ProfileTable) r.extra().get("profile");
      }
    }
    throw new AssertionError("no record " + name);
  }

  static BenchRecord record(String name) {
    return records.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  static final String[] ALL = {
    "model_forward_profiled",
    "model_forward_backward_profiled",
    "model_forward_backward_checkpointed_profiled"
  };

  @Test
  void selfTimesAddUpToTheRecordedWallTimeAndLieInsideTheMeasuredSteps() {
    for (String name : ALL) {
      ProfileTable t = table(name);
      assertEquals(RUNS, t.steps());
      // every row's self time is counted once: the self times add up to the wall time (ns rounding)
      assertEquals(
          t.wallS(), t.selfSumS(), 1e-9 * t.entries().size(), name + ": self times vs wall time");
      double[] steps = (double[]) record(name).extra().get("step_s");
      double stepSum = Arrays.stream(steps).sum();
      // the profile brackets the independently timed steps
      assertTrue(
          stepSum <= t.wallS(),
          name + ": steps " + stepSum + " s outside the profile's " + t.wallS() + " s");
      double spans = 0;
      for (ProfileTable.Entry e : t.entries()) {
        assertTrue(e.selfS() >= 0, name + ": negative self time in " + e);
        assertTrue(e.selfS() <= e.totalS() + 1e-12, name + ": self above total in " + e);
        if (e.depth() == 0
            && !e.path().startsWith("(")
            && !e.path().startsWith(Profile.RECOMPUTE)) {
          spans += e.totalS();
        }
      }
      // top-level spans and backward segments happen inside the steps, and do not overlap
      // (recomputation lies inside segments)
      assertTrue(
          spans <= stepSum, name + ": spans " + spans + " s exceed the steps' " + stepSum + " s");
      for (ProfileTable.Entry e : t.entries()) {
        // a span's direct children fit in it
        double children =
            t.entries().stream()
                .filter(c -> c.depth() == e.depth() + 1 && c.path().startsWith(e.path() + "."))
                .mapToDouble(ProfileTable.Entry::totalS)
                .sum();
        assertTrue(
            children <= e.totalS() + 1e-12, name + ": children of " + e.path() + " exceed it");
      }
    }
  }

  @Test
  void everyModuleAppearsWithTheCallsTheModelMakes() {
    for (String name : ALL) {
      ProfileTable t = table(name);
      for (String top :
          List.of(
              "video_embedder",
              "t_embedder",
              "text_embedder",
              "final_layer",
              "final_layer.layer_norm",
              "final_layer.modulate",
              "final_layer.silu",
              "final_layer.linear")) {
        assertCalls(t, top, RUNS);
      }
      for (int i = 0; i < DEPTH; i++) {
        String b = "blocks." + i;
        assertCalls(t, b, RUNS);
        assertCalls(t, b + ".adaLN_modulation", RUNS);
        assertCalls(t, b + ".adaLN_modulation.silu", RUNS);
        assertCalls(t, b + ".adaLN_modulation.linear", RUNS);
        assertCalls(t, b + ".layer_norm", 2 * RUNS);
        assertCalls(t, b + ".modulate", 2 * RUNS);
        assertCalls(t, b + ".attn", RUNS);
        assertCalls(t, b + ".attn.linear", 2 * RUNS); // q, k, v as one product; out
        assertCalls(t, b + ".residual", 2 * RUNS); // the gated attention and MLP residuals
        assertCalls(t, b + ".attn.sdpa", RUNS);
        assertCalls(t, b + ".mlp", RUNS);
        assertCalls(t, b + ".mlp.linear", 2 * RUNS);
        assertCalls(t, b + ".mlp.gelu", RUNS);
      }
      // one op table row per op type: linears of 4 blocks (2 attention, 2 MLP, 1 modulation), twice
      // with recomputation,
      // and the final modulation's
      ProfileTable.Entry linear =
          t.byOp().stream().filter(e -> e.path().equals("linear")).findFirst().orElseThrow();
      int passes = name.contains("checkpointed") ? 2 : 1;
      assertEquals((long) RUNS * (DEPTH * 5 * passes + 1), linear.calls(), name + ": linear calls");
      ProfileTable.Entry blocks =
          t.byModule().stream().filter(e -> e.path().equals("blocks.*")).findFirst().orElseThrow();
      assertEquals((long) RUNS * DEPTH, blocks.calls(), name + ": blocks.* calls");
      // a block returns its tokens [B, S, D] in fp32
      assertEquals(
          RUNS * options.batch() * options.tokens() * WIDTH * 4,
          t.entry("blocks.0").outBytes(),
          name + ": block output bytes");
    }
  }

  @Test
  void backwardIsSplitPerBlockFromTheLastDown() {
    assertNull(
        table(ALL[0]).entry(Profile.BACKWARD + "blocks.0"), "no backward in the forward profile");
    for (String name : List.of(ALL[1], ALL[2])) {
      ProfileTable t = table(name);
      List<String> order = new ArrayList<>();
      for (ProfileTable.Entry e : t.entries()) {
        if (e.path().startsWith(Profile.BACKWARD) && !e.path().startsWith(Profile.RECOMPUTE)) {
          order.add(e.path());
          assertEquals(RUNS, e.calls(), name + ": " + e.path());
        }
      }
      assertEquals(
          List.of(
              "backward.loss",
              "backward.final_layer",
              "backward.blocks.3",
              "backward.blocks.2",
              "backward.blocks.1",
              "backward.blocks.0"),
          order,
          name);
      assertCalls(t, "loss", RUNS);
      assertNotNull(t.entry("(backward)"), name + ": the embedders' backward");
    }
    // checkpointing recomputes every block once per step, inside its backward segment
    ProfileTable ck = table(ALL[2]);
    for (int i = 0; i < DEPTH; i++) {
      assertCalls(ck, Profile.RECOMPUTE + "blocks." + i, RUNS);
      assertCalls(ck, Profile.RECOMPUTE + "blocks." + i + ".attn.sdpa", RUNS);
    }
    assertNull(
        table(ALL[1]).entry(Profile.RECOMPUTE + "blocks.0"),
        "no recomputation without checkpointing");
  }

  static void assertCalls(ProfileTable t, String path, long calls) {
    ProfileTable.Entry e = t.entry(path);
    assertNotNull(
        e, "no row " + path + " in " + t.entries().stream().map(ProfileTable.Entry::path).toList());
    assertEquals(calls, e.calls(), path + " calls");
  }
}
