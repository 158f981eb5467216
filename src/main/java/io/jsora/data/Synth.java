package io.jsora.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import io.jsora.video.VideoWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A captioned dataset of moving coloured shapes, written as real MP4 files.
 *
 * <p>Output directory:
 *
 * <ul>
 *   <li>{@code videos/00000.mp4 ...}: H.264, {@code size×size}, {@code frames} frames;
 *   <li>{@code captions.json}: {@code [{"file": "00000.mp4", "captions": ["a red circle moving
 *       left"]}, ...]}, the reference's captions format (file names relative to {@code videos/});
 *   <li>{@code metadata.json}: the configuration, the colour table, the held-out combinations and,
 *       per clip, its colour, shape, direction, radius and start/end centre, so an evaluator can
 *       score generated videos.
 * </ul>
 *
 * <p>Shapes are drawn with tensor ops at 4× resolution and averaged down (anti-aliased edges), and
 * every random choice comes from the seed, so a seed always gives the same pixels. Clips cycle
 * through all allowed (colour, shape, direction) combinations in a seeded order, so every
 * combination appears {@code count / combinations} times, ±1. Every path stays inside the frame.
 */
public final class Synth {
  private Synth() {}

  /**
   * Colours far apart in RGB (pairwise distance ≥ 200 of 255·√3), slightly inside the gamut so
   * yuv420p keeps them.
   */
  public static final Map<String, int[]> COLOURS = colours();

  /** Shapes, all about the same area. */
  public static final List<String> SHAPES = List.of("circle", "square", "triangle", "diamond");

  /** Directions of motion (image coordinates: up is towards row 0). */
  public static final List<String> DIRECTIONS = List.of("left", "right", "up", "down");

  /** Default palette: 6 colours. */
  public static final List<String> DEFAULT_COLOURS =
      List.of("red", "green", "blue", "yellow", "magenta", "cyan");

  /** Default shapes: the three most distinct at 16 pixels. */
  public static final List<String> DEFAULT_SHAPES = List.of("circle", "square", "triangle");

  /** Shape radius as a fraction of the frame size (16 px → 3.5 px, a 7-pixel shape). */
  static final double RADIUS = 0.22;

  private static final int SUPERSAMPLE = 4;

  private static Map<String, int[]> colours() {
    Map<String, int[]> m = new LinkedHashMap<>();
    m.put("red", new int[] {225, 30, 30});
    m.put("green", new int[] {30, 200, 40});
    m.put("blue", new int[] {40, 70, 235});
    m.put("yellow", new int[] {230, 220, 30});
    m.put("magenta", new int[] {220, 40, 220});
    m.put("cyan", new int[] {30, 215, 225});
    m.put("white", new int[] {235, 235, 235});
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * One generated clip. Coordinates are pixel units with (0, 0) the top-left corner of the frame.
   */
  public record Clip(
      String file,
      String caption,
      String colour,
      int[] rgb,
      String shape,
      String direction,
      double radius,
      double[] start,
      double[] end) {}

  /** A (colour, shape, direction) combination and its caption. */
  public record Combination(String colour, String shape, String direction) {
    public String caption() {
      return Synth.caption(colour, shape, direction);
    }
  }

  /** The caption of a combination: {@code a red circle moving left}. */
  public static String caption(String colour, String shape, String direction) {
    return "a " + colour + " " + shape + " moving " + direction;
  }

  /** All combinations of the configuration, split into used and held out. */
  public static List<Combination> combinations(SynthConfig c, boolean heldOut) {
    List<Combination> out = new ArrayList<>();
    for (String col : c.colours()) {
      for (String s : c.shapes()) {
        for (String d : c.directions()) {
          boolean h = isHeldOut(c.holdOut(), col, s, d);
          if (h == heldOut) {
            out.add(new Combination(col, s, d));
          }
        }
      }
    }
    return out;
  }

  static boolean isHeldOut(List<String> patterns, String colour, String shape, String direction) {
    for (String p : patterns) {
      String[] parts = p.split(":", -1);
      if (matches(parts[0], colour) && matches(parts[1], shape) && matches(parts[2], direction)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(String pattern, String value) {
    return pattern.equals("*") || pattern.isEmpty() || pattern.equals(value);
  }

  /** Plans the clips (no pixels): which combination each gets and where its path runs. */
  public static List<Clip> plan(SynthConfig c) {
    List<Combination> combos = combinations(c, c.onlyHeldOut());
    if (combos.isEmpty()) {
      throw new IllegalArgumentException(
          c.onlyHeldOut()
              ? "no held-out combination matches " + c.holdOut()
              : "every combination is held out by " + c.holdOut());
    }
    // a seeded shuffle of the combinations, cycled: balanced counts, no fixed order
    List<Combination> order = new ArrayList<>(combos);
    SplittableRandom shuffle = new SplittableRandom(Seeds.mix(c.seed(), 0x5eed));
    for (int i = order.size() - 1; i > 0; i--) {
      int j = shuffle.nextInt(i + 1);
      Combination t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    int digits = Math.max(5, Integer.toString(c.count() - 1).length());
    List<Clip> clips = new ArrayList<>(c.count());
    for (int i = 0; i < c.count(); i++) {
      Combination k = order.get(i % order.size());
      SplittableRandom rnd = new SplittableRandom(Seeds.mix(c.seed(), i));
      double[][] path = path(c, k.direction(), rnd);
      String file = String.format("%0" + digits + "d.mp4", i);
      clips.add(
          new Clip(
              file,
              k.caption(),
              k.colour(),
              COLOURS.get(k.colour()).clone(),
              k.shape(),
              k.direction(),
              RADIUS * c.size(),
              path[0],
              path[1]));
    }
    return clips;
  }

  /**
   * Start and end centre of a motion. The centre stays in {@code [r + 0.5, size - r - 0.5]} on both
   * axes, so the whole shape is in the frame on every frame. Fixed: from one edge of that range to
   * the other, on the middle line. Jitter: 80% of that length, starting up to 20% of the range
   * inwards, and up to 10% of the frame off the middle line. Random: 60% of the length, anywhere it
   * fits.
   */
  static double[][] path(SynthConfig c, String direction, SplittableRandom rnd) {
    double s = c.size();
    double r = RADIUS * s;
    double lo = r + 0.5;
    double hi = s - r - 0.5;
    double full = hi - lo;
    double mid = s / 2.0;
    double along0;
    double length;
    double across;
    switch (c.start()) {
      case FIXED -> {
        along0 = 0;
        length = full;
        across = mid;
      }
      case JITTER -> {
        length = 0.8 * full;
        along0 = rnd.nextDouble() * (full - length);
        across = clamp(mid + (rnd.nextDouble() * 2 - 1) * 0.1 * s, lo, hi);
      }
      default -> {
        length = 0.6 * full;
        along0 = rnd.nextDouble() * (full - length);
        across = lo + rnd.nextDouble() * full;
      }
    }
    // along0 is the distance from the starting edge of the range
    double a =
        switch (direction) {
          case "left", "up" -> hi - along0;
          default -> lo + along0;
        };
    double b =
        switch (direction) {
          case "left", "up" -> a - length;
          default -> a + length;
        };
    boolean horizontal = direction.equals("left") || direction.equals("right");
    double[] start = horizontal ? new double[] {a, across} : new double[] {across, a};
    double[] end = horizontal ? new double[] {b, across} : new double[] {across, b};
    return new double[][] {start, end};
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  /**
   * Renders a clip: {@code uint8 [frames, size, size, 3]}, caller owns. The centre moves linearly
   * from {@code start} to {@code end} ({x, y} in pixels) over the frames.
   */
  public static Tensor render(
      String shape, int[] rgb, double radius, double[] start, double[] end, int frames, int size) {
    Natives.load();
    try (PointerScope scope = new PointerScope()) {
      int n = size * SUPERSAMPLE;
      double[] cx = new double[frames];
      double[] cy = new double[frames];
      for (int t = 0; t < frames; t++) {
        double u = frames == 1 ? 0 : t / (double) (frames - 1);
        cx[t] = start[0] + u * (end[0] - start[0]);
        cy[t] = start[1] + u * (end[1] - start[1]);
      }
      // sample positions: centres of the supersampled sub-pixels, in pixel units
      Tensor pos =
          torch
              .arange(new Scalar(n))
              .to(DType.F64.scalarType())
              .add(new Scalar(0.5))
              .div(new Scalar((double) SUPERSAMPLE)); // (n)
      Tensor xs = pos.view(1, 1, n); // (1, 1, n)
      Tensor ys = pos.view(1, n, 1); // (1, n, 1)
      Tensor dx = xs.sub(io.jsora.tensor.Tensors.of(cx, frames, 1, 1)); // (T, 1, n)
      Tensor dy = ys.sub(io.jsora.tensor.Tensors.of(cy, frames, 1, 1)); // (T, n, 1)
      Tensor inside =
          switch (shape) {
            case "circle" ->
                dx.mul(dx).add(dy.mul(dy)).le(new Scalar(radius * radius)); // (T, n, n)
            case "square" ->
                torch
                    .maximum(dx.abs(), dy.abs())
                    .le(new Scalar(radius * 0.89)); // equal area to the circle
            case "diamond" -> dx.abs().add(dy.abs()).le(new Scalar(radius * 1.25));
            case "triangle" -> {
              // apex up at (0, -1.1r), base at y = +0.75r spanning ±1.15r
              double top = -1.1 * radius;
              double base = 0.75 * radius;
              double half = 1.15 * radius;
              Tensor below = dy.le(new Scalar(base)).expand(new long[] {frames, n, n});
              Tensor within =
                  dx.abs()
                      .mul(new Scalar((base - top) / half))
                      .le(dy.sub(new Scalar(top))); // (T, n, n)
              yield below.logical_and(within);
            }
            default ->
                throw new IllegalArgumentException(
                    "unknown shape '" + shape + "' (expected one of " + SHAPES + ")");
          };
      Tensor cover =
          torch.avg_pool2d(
              inside.to(DType.F32.scalarType()),
              new long[] {SUPERSAMPLE, SUPERSAMPLE},
              new long[] {SUPERSAMPLE, SUPERSAMPLE},
              new long[] {0, 0},
              false,
              true,
              new LongOptional()); // (T, size, size)
      Tensor colour =
          io.jsora.tensor.Tensors.of(
              new float[] {rgb[0], rgb[1], rgb[2]}, 1, 1, 1, 3); // (1, 1, 1, 3)
      Tensor img =
          cover
              .unsqueeze(3)
              .mul(colour)
              .round()
              .clamp(
                  new ScalarOptional(new Scalar(0.0)),
                  new ScalarOptional(new Scalar(255.0))); // (T, size, size, 3)
      return img.to(DType.U8.scalarType()).contiguous().retainReference();
    }
  }

  /** Renders the pixels of a planned clip; caller owns. */
  public static Tensor render(Clip clip, SynthConfig c) {
    return render(
        clip.shape(), clip.rgb(), clip.radius(), clip.start(), clip.end(), c.frames(), c.size());
  }

  /**
   * Generates the dataset into {@code out}; returns the clips. Existing files of the same names are
   * replaced.
   */
  public static List<Clip> generate(SynthConfig c, Path out, Progress progress) throws IOException {
    List<Clip> clips = plan(c);
    Path videos = out.resolve("videos");
    Files.createDirectories(videos);
    for (Clip clip : clips) {
      try (Tensor frames = render(clip, c)) {
        VideoWriter.writeMp4(videos.resolve(clip.file()), frames, c.fps());
      }
      progress.step(1);
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    List<Map<String, Object>> captions = new ArrayList<>();
    List<Map<String, Object>> meta = new ArrayList<>();
    for (Clip clip : clips) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("file", clip.file());
      e.put("captions", List.of(clip.caption()));
      captions.add(e);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", clip.file());
      m.put("caption", clip.caption());
      m.put("colour", clip.colour());
      m.put("rgb", clip.rgb());
      m.put("shape", clip.shape());
      m.put("direction", clip.direction());
      m.put("radius", round(clip.radius()));
      m.put("start", new double[] {round(clip.start()[0]), round(clip.start()[1])});
      m.put("end", new double[] {round(clip.end()[0]), round(clip.end()[1])});
      meta.add(m);
    }
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("generator", "jsora data synth");
    top.put("count", c.count());
    top.put("frames", c.frames());
    top.put("size", c.size());
    top.put("fps", c.fps());
    top.put("seed", c.seed());
    top.put("start", c.start().label());
    top.put("background", new int[] {0, 0, 0});
    Map<String, int[]> palette = new LinkedHashMap<>();
    for (String col : c.colours()) {
      palette.put(col, COLOURS.get(col));
    }
    top.put("colours", palette);
    top.put("shapes", c.shapes());
    top.put("directions", c.directions());
    top.put("holdOutPatterns", c.holdOut());
    top.put("onlyHeldOut", c.onlyHeldOut());
    List<String> heldOut = new ArrayList<>();
    for (Combination k : combinations(c, true)) {
      heldOut.add(k.caption());
    }
    top.put("heldOutCaptions", heldOut);
    top.put(
        "coordinates",
        "pixels, x right and y down from the frame's top-left corner; start/end are the shape centre on the first/last frame");
    top.put("clips", meta);
    AtomicFiles.writeString(out.resolve("captions.json"), json.writeValueAsString(captions) + "\n");
    AtomicFiles.writeString(out.resolve("metadata.json"), json.writeValueAsString(top) + "\n");
    return clips;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
