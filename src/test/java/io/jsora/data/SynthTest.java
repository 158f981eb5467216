package io.jsora.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthTest {
  @TempDir Path dir;

  @Test
  void badHoldOutPatternsAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SynthConfig.defaults(144).withHoldOut(List.of("red:circle:*", "*:*:up:"), false));
    assertTrue(e.getMessage().contains("*:*:up:"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Synth.plan(SynthConfig.defaults(4).withHoldOut(List.of("*:*:*"), false)));
  }

  @Test
  void planBalancesCombinations() {
    SynthConfig c = SynthConfig.defaults(140).withHoldOut(List.of("red:circle:*"), false);
    List<Synth.Clip> a = Synth.plan(c);
    List<Synth.Clip> b = Synth.plan(c);
    assertEquals(a.size(), 140);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).caption(), b.get(i).caption());
      assertFalse(a.get(i).caption().startsWith("a red circle"), "held out: " + a.get(i).caption());
      counts.merge(a.get(i).caption(), 1, Integer::sum);
    }
    // 6*3*4 = 72 combinations, 4 held out: 68 used, 140 clips -> each 2 or 3 times
    assertEquals(68, counts.size());
    assertTrue(counts.values().stream().allMatch(n -> n == 2 || n == 3), counts.toString());
    assertEquals(4, Synth.combinations(c, true).size());
    assertEquals("a red circle moving left", Synth.caption("red", "circle", "left"));
    List<Synth.Clip> only =
        Synth.plan(SynthConfig.defaults(8).withHoldOut(List.of("red:circle:*"), true));
    assertTrue(only.stream().allMatch(k -> k.caption().startsWith("a red circle")));
  }

  @Test
  void fixedStartsCrossTheFrameAndStayInside() {
    for (SynthConfig.Start start : SynthConfig.Start.values()) {
      SynthConfig c = SynthConfig.defaults(48).withStart(start).withSeed(3);
      for (Synth.Clip k : Synth.plan(c)) {
        for (double[] p : new double[][] {k.start(), k.end()}) {
          for (double v : p) {
            assertTrue(
                v - k.radius() >= 0.5 - 1e-9 && v + k.radius() <= 16 - 0.5 + 1e-9,
                start + " " + k.caption() + " leaves the frame: " + v);
          }
        }
        double dx = k.end()[0] - k.start()[0];
        double dy = k.end()[1] - k.start()[1];
        switch (k.direction()) {
          case "left" -> assertTrue(dx < 0 && dy == 0);
          case "right" -> assertTrue(dx > 0 && dy == 0);
          case "up" -> assertTrue(dy < 0 && dx == 0);
          default -> assertTrue(dy > 0 && dx == 0);
        }
        if (start == SynthConfig.Start.FIXED) {
          assertEquals(
              16 - 2 * (3.52 + 0.5),
              Math.abs(dx + dy),
              1e-9,
              "fixed paths cross the whole free range");
        }
      }
    }
  }

  /**
   * Random starts: each path is 60% of the free range long, lies wholly inside it, and starts
   * spread over the frame (so the start says nothing about the direction).
   */
  @Test
  void randomStartsSpreadOverTheFrame() {
    SynthConfig c =
        SynthConfig.defaults(400).withSize(24).withStart(SynthConfig.Start.RANDOM).withSeed(9);
    double r = 0.22 * 24;
    double lo = r + 0.5;
    double hi = 24 - r - 0.5;
    Map<String, double[]> meanStart = new HashMap<>();
    Map<String, Integer> n = new HashMap<>();
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    for (Synth.Clip k : Synth.plan(c)) {
      for (double[] p : new double[][] {k.start(), k.end()}) {
        for (double v : p) {
          assertTrue(v >= lo - 1e-9 && v <= hi + 1e-9, k.caption() + " leaves the frame: " + v);
        }
      }
      double len = Math.hypot(k.end()[0] - k.start()[0], k.end()[1] - k.start()[1]);
      assertEquals(0.6 * (hi - lo), len, 1e-9, "random paths are 60% of the free range");
      meanStart.merge(
          k.direction(), k.start().clone(), (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]});
      n.merge(k.direction(), 1, Integer::sum);
      minX = Math.min(minX, k.start()[0]);
      maxX = Math.max(maxX, k.start()[0]);
    }
    assertTrue(
        maxX - minX > 0.8 * (hi - lo), "starts spread across the frame: " + minX + ".." + maxX);
    // on average a direction starts where the middle of the frame would put it, not at one edge
    double along = 0.4 * (hi - lo);
    double expectLeftX = hi - along / 2;
    double[] left = meanStart.get("left");
    assertEquals(expectLeftX, left[0] / n.get("left"), 0.5, "mean start x of left");
    assertEquals(12, left[1] / n.get("left"), 0.8, "mean start y of left");
  }

  @Test
  void renderDrawsTheShapeWhereThePathSays() {
    try (PointerScope s = new PointerScope();
        Tensor f =
            Synth.render(
                "square",
                new int[] {225, 30, 30},
                3.52,
                new double[] {11.98, 8},
                new double[] {4.02, 8},
                8,
                16)) {
      assertArrayEquals(new long[] {8, 16, 16, 3}, Shapes.of(f));
      // centre pixel of the first frame is the pure colour, a far corner is background
      assertEquals(225, f.get(0).get(8).get(11).get(0).item_int() & 0xff);
      assertEquals(30, f.get(0).get(8).get(11).get(2).item_int() & 0xff);
      assertEquals(0, f.get(0).get(0).get(0).get(0).item_int() & 0xff);
      // the shape is whole on every frame: same amount of red in each frame
      Tensor red = f.select(3, 0).to(DType.F64.scalarType()).sum(new long[] {1, 2}); // (T)
      assertEquals(0.0, red.sub(red.get(0)).abs().max().item_double(), 225.0 * 0.5);
      // the x centroid moves left by ~1.14 px per frame (4x supersampling: steps within 0.15 px)
      double[] cx = centroidX(f);
      for (int t = 1; t < 8; t++) {
        assertEquals(-(11.98 - 4.02) / 7, cx[t] - cx[t - 1], 0.15);
      }
      assertEquals(-(11.98 - 4.02), cx[7] - cx[0], 0.5); // sub-sample quantisation at both ends
    }
  }

  @Test
  void generatesDecodableMp4sWithCaptionsAndMetadata() throws Exception {
    SynthConfig c = SynthConfig.defaults(6).withSeed(1);
    List<Synth.Clip> clips = Synth.generate(c, dir, Progress.NONE);
    ObjectMapper json = new ObjectMapper();
    JsonNode captions = json.readTree(dir.resolve("captions.json").toFile());
    assertEquals(6, captions.size());
    JsonNode meta = json.readTree(dir.resolve("metadata.json").toFile());
    assertEquals(6, meta.get("clips").size());
    assertEquals(16, meta.get("size").asInt());
    for (int i = 0; i < 6; i++) {
      Synth.Clip k = clips.get(i);
      assertEquals(k.file(), captions.get(i).get("file").asText());
      assertEquals(k.caption(), captions.get(i).get("captions").get(0).asText());
      assertEquals(k.colour(), meta.get("clips").get(i).get("colour").asText());
      try (PointerScope s = new PointerScope();
          DecodedVideo v = VideoReader.decode(dir.resolve("videos").resolve(k.file()));
          Tensor clean = Synth.render(k, c)) {
        assertArrayEquals(new long[] {8, 16, 16, 3}, Shapes.of(v.frames()));
        double mad =
            v.frames()
                .to(DType.F32.scalarType())
                .sub(clean.to(DType.F32.scalarType()))
                .abs()
                .mean()
                .item_double();
        // sharp saturated edges lose chroma detail in yuv420p: measured 2-5 levels of 255
        assertTrue(mad < 8.0, k.caption() + ": H.264 copy differs from the clean render by " + mad);
        // motion direction survives compression
        double[] a = centroidX(v.frames());
        double[] ys = centroidY(v.frames());
        switch (k.direction()) {
          case "left" -> assertTrue(a[7] < a[0] - 5, k.caption());
          case "right" -> assertTrue(a[7] > a[0] + 5, k.caption());
          case "up" -> assertTrue(ys[7] < ys[0] - 5, k.caption());
          default -> assertTrue(ys[7] > ys[0] + 5, k.caption());
        }
      }
    }
  }

  private static double[] centroidX(Tensor frames) {
    return centroid(frames, 2);
  }

  private static double[] centroidY(Tensor frames) {
    return centroid(frames, 1);
  }

  /** Brightness-weighted centroid along {@code dim} (1 = y, 2 = x) per frame. */
  private static double[] centroid(Tensor frames, int dim) {
    try (PointerScope s = new PointerScope()) {
      Tensor w = frames.to(DType.F64.scalarType()).sum(new long[] {3}); // (T, H, W)
      long n = frames.size(dim);
      Tensor pos =
          torch
              .arange(new org.bytedeco.pytorch.Scalar(n))
              .to(DType.F64.scalarType())
              .add(new org.bytedeco.pytorch.Scalar(0.5));
      Tensor p = dim == 2 ? pos.view(1, 1, n) : pos.view(1, n, 1);
      Tensor c = w.mul(p).sum(new long[] {1, 2}).div(w.sum(new long[] {1, 2})); // (T)
      return io.jsora.tensor.Tensors.toDoubles(c);
    }
  }
}
