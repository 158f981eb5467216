package io.jsora.diffusion.rflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Training masks, inference mask strategies and the long-video arithmetic. */
class FrameMaskTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private static int conditions(boolean[] m) {
    int n = 0;
    for (boolean b : m) {
      n += b ? 0 : 1;
    }
    return n;
  }

  @Test
  void eachMaskTypePlacesItsConditionFrames() {
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(21);
      int frames = 13; // quarter runs of 1..3
      for (int rep = 0; rep < 200; rep++) {
        assertEquals(0, conditions(MaskGenerator.mask(MaskType.IDENTITY, frames, g)));
        boolean[] head = MaskGenerator.mask(MaskType.IMAGE_HEAD, frames, g);
        assertTrue(!head[0] && conditions(head) == 1);
        boolean[] tail = MaskGenerator.mask(MaskType.IMAGE_TAIL, frames, g);
        assertTrue(!tail[frames - 1] && conditions(tail) == 1);
        boolean[] ht = MaskGenerator.mask(MaskType.IMAGE_HEAD_TAIL, frames, g);
        assertTrue(!ht[0] && !ht[frames - 1] && conditions(ht) == 2);
        assertEquals(1, conditions(MaskGenerator.mask(MaskType.IMAGE_RANDOM, frames, g)));
        boolean[] qh = MaskGenerator.mask(MaskType.QUARTER_HEAD, frames, g);
        int k = conditions(qh);
        assertTrue(k >= 1 && k <= 3 && !qh[k - 1] && qh[k], "a head run " + k);
        boolean[] qt = MaskGenerator.mask(MaskType.QUARTER_TAIL, frames, g);
        k = conditions(qt);
        assertTrue(k >= 1 && k <= 3 && !qt[frames - k] && qt[frames - k - 1], "a tail run " + k);
        boolean[] qht = MaskGenerator.mask(MaskType.QUARTER_HEAD_TAIL, frames, g);
        k = conditions(qht) / 2;
        assertTrue(
            k >= 1 && k <= 3 && !qht[k - 1] && qht[k] && !qht[frames - k] && qht[frames - k - 1]);
        boolean[] qr = MaskGenerator.mask(MaskType.QUARTER_RANDOM, frames, g);
        k = conditions(qr);
        int first = 0;
        while (qr[first]) {
          first++;
        }
        for (int f = first; f < first + k; f++) {
          assertTrue(!qr[f], "one contiguous run");
        }
        boolean[] in = MaskGenerator.mask(MaskType.INTERPOLATE, frames, g);
        for (int f = 2; f < frames; f++) {
          assertEquals(in[f - 2], in[f], "every other frame");
        }
        assertTrue(in[0] != in[1]);
        boolean[] r = MaskGenerator.mask(MaskType.RANDOM, frames, g);
        assertTrue(conditions(r) < frames, "at least one frame generated");
      }
      // random: each frame is a condition with probability r ~ U(0.1, 0.9), so about half of them
      int held = 0;
      for (int rep = 0; rep < 400; rep++) {
        held += conditions(MaskGenerator.mask(MaskType.RANDOM, frames, g));
      }
      assertEquals(0.5, held / (400.0 * frames), 0.05, "share of random condition frames");
      // an image is always generated; the quarter types need 4 frames, as upstream (randint(1, 0))
      assertArrayEquals(new boolean[] {true}, MaskGenerator.mask(MaskType.IMAGE_HEAD, 1, g));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> MaskGenerator.mask(MaskType.QUARTER_HEAD, 3, g));
      assertTrue(
          e.getMessage().contains("quarter_head needs at least 4 latent frames"), e.getMessage());
    }
  }

  @Test
  void typesAreDrawnWithTheirRatiosAndTheSameSeedGivesTheSameMasks() {
    try (PointerScope s = new PointerScope()) {
      MaskGenerator gen = new MaskGenerator(MaskRatios.stage3());
      Map<MaskType, Double> share = new EnumMap<>(MaskType.class);
      int n = 20000;
      for (int i = 0; i < n; i++) {
        share.merge(gen.ratios().pick((i + 0.5) / n), 1.0 / n, Double::sum);
      }
      assertEquals(0.75, share.get(MaskType.IDENTITY), 1e-3);
      assertEquals(0.22, share.get(MaskType.IMAGE_HEAD), 1e-3);
      assertEquals(0.01, share.get(MaskType.RANDOM), 1e-3);
      Device cpu = new Device("cpu");
      Tensor a = gen.masks(64, 15, torch.createCPUGenerator(5), cpu);
      Tensor b = gen.masks(64, 15, torch.createCPUGenerator(5), cpu);
      Tensor c = gen.masks(64, 15, torch.createCPUGenerator(6), cpu);
      assertTrue(torch.equal(a, b) && !torch.equal(a, c));
      assertEquals(ScalarType.Bool.value, a.scalar_type().value);
      // stage 3 conditions the first frame of about a fifth of the samples (image_head 0.22 +
      // head_tail, …)
      double firstHeld =
          1
              - Tensors.toDoubles(
                  gen.masks(2000, 15, torch.createCPUGenerator(7), cpu)
                      .select(1, 0)
                      .to(ScalarType.Double)
                      .mean())[0];
      assertEquals(
          0.22 + 0.005 + 0.002 * 2 + 0.01 * 0.5 + 0.002 * 0.5 + 0.002 * 3.0 / 15, firstHeld, 0.03);
    }
  }

  @Test
  void ratiosAcceptUpstreamSpellingsAndFillIdentity() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("intepolate", 0.1);
    m.put("image_head", 0.3);
    MaskRatios r = MaskRatios.of(m);
    assertEquals(
        List.of(MaskType.INTERPOLATE, MaskType.IMAGE_HEAD, MaskType.IDENTITY),
        List.copyOf(r.ratios().keySet()));
    assertEquals(0.6, r.ratios().get(MaskType.IDENTITY), 1e-12);
    assertEquals(MaskType.INTERPOLATE, r.pick(0.05));
    assertEquals(MaskType.IMAGE_HEAD, r.pick(0.1));
    assertEquals(MaskType.IDENTITY, r.pick(0.99));
    assertEquals(MaskType.INTERPOLATE, MaskType.parse("interpolate"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> MaskType.parse("head"))
            .getMessage()
            .contains("'head' is not one of identity, quarter_random"));
    m.put("identity", 0.5);
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> MaskRatios.of(m))
            .getMessage()
            .contains("must sum to 1, got 0.9"));
  }

  @Test
  void strategyErrorsNameTheGroupAndTheField() {
    assertError("0;0,1,x", "group 2 ('0,1,x'): field ref_start 'x' is not an integer");
    assertError("0,0,0,0,1,0,7", "group 1 ('0,0,0,0,1,0,7'): 7 fields, expected at most 6");
    assertError("0;", "group 2 (''): field loop_id '' is not an integer");
    assertError("0,0,0,0,1,half", "field edit_ratio 'half' is not a number");
    assertError("0,0,0,0,0", "group 1 ('0,0,0,0,0'): mask group: length must be >= 1, got 0");
    assertError("0,0,0,0,1,1.5", "edit_ratio must be in [0, 1], got 1.5");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MaskStrategy.parse("0;0,2,0,-1").resolve(0, 15, new int[] {1, 15}, 1));
    assertTrue(
        e.getMessage()
            .contains("group 2 (0,2,0,-1,1,0.0): field ref_id 2 but the sample has 2 reference(s)"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MaskStrategy.parse("0,1,-20,0,5").resolve(0, 15, new int[] {1, 15}, 5));
    assertTrue(
        e.getMessage().contains("field ref_start -20 is outside the 15 latent frames"),
        e.getMessage());
  }

  private static void assertError(String strategy, String part) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MaskStrategy.parse(strategy));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void strategyDefaultsNegativeStartsAlignAndClipping() {
    MaskStrategy s = MaskStrategy.parse("0;0,1,-5,-1,9,0.5");
    assertEquals(
        List.of(new MaskGroup(0, 0, 0, 0, 1, 0.0), new MaskGroup(0, 1, -5, -1, 9, 0.5)),
        s.groups());
    // reference 1 has 15 latent frames; z 15: −5 → 10, −1 → 14, length clipped to 1
    assertEquals(
        List.of(new Placement(0, 0, 0, 1, 0.0), new Placement(1, 10, 14, 1, 0.5)),
        s.resolve(0, 15, new int[] {1, 15}, 1));
    // align 5: 14 snaps down to 10 (never up past 5·(15/5 − 1)); length then min(9, 5, 5)
    assertEquals(
        List.of(new Placement(0, 0, 0, 1, 0.0), new Placement(1, 10, 10, 5, 0.5)),
        s.resolve(0, 15, new int[] {1, 15}, 5));
    assertArrayEquals(
        new double[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5},
        MaskStrategy.frameMask(s.resolve(0, 15, new int[] {1, 15}, 5), 15),
        0.0);
    assertEquals(List.of(), s.resolve(1, 15, new int[] {1, 15}, 1), "loop 1 has no groups");
    assertEquals(MaskStrategy.none(), MaskStrategy.parse(""));
    try (PointerScope p = new PointerScope()) {
      assertEquals(
          null,
          MaskStrategy.apply(torch.zeros(1, 4, 15, 2, 2), List.of(), List.of(), 0, 1),
          "no strategies: no mask, as upstream");
      Tensor ones =
          MaskStrategy.apply(
              torch.zeros(1, 4, 15, 2, 2), List.of(List.of()), List.of(MaskStrategy.none()), 0, 1);
      assertEquals(
          15.0, Tensors.toDoubles(ones.sum())[0], "an empty strategy gives an all-ones mask");
    }
  }

  @Test
  void loopsGiveUpstreamsLengthsAndConditionGroups() {
    // 51 frames, L = 5: 51 + 34·(loop − 1)
    assertEquals(51, Loops.outputFrames(51, 1, 5));
    assertEquals(119, Loops.outputFrames(51, 3, 5));
    assertEquals(102 + 3 * (102 - 17), Loops.outputFrames(102, 4, 5));
    assertEquals(34, Loops.pixelFrames(10));
    assertThrows(IllegalArgumentException.class, () -> Loops.pixelFrames(4));
    assertThrows(IllegalArgumentException.class, () -> Loops.outputFrames(17, 2, 5));
    MaskStrategy s = MaskStrategy.parse("0").append(Loops.conditionGroup(1, 1, 5, 0.0));
    assertEquals("0,0,0,0,1,0.0;1,1,-5,0,5,0.0", s.toString());
    assertEquals(List.of(new Placement(1, 10, 0, 5, 0.0)), s.resolve(1, 15, new int[] {1, 15}, 5));
    assertEquals(5, Loops.gradioConditionLength(51));
  }
}
