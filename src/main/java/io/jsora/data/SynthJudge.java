package io.jsora.data;

import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Reads back what a moving-shapes video shows: the shape's dominant colour, its direction of motion
 * and (less reliably at 16 pixels) its shape class, so generated videos can be scored against their
 * prompts.
 *
 * <p>Method, on a black background as {@link Synth} draws: a pixel belongs to the shape when its
 * brightest channel exceeds {@link #FOREGROUND}. The colour is the palette entry nearest (in RGB)
 * to the mean foreground colour. The direction comes from the foreground centroid per frame: a
 * least-squares line through the centroids gives the displacement over the clip, and its larger
 * axis and sign name the direction; less than {@link #MIN_MOTION} pixels of travel is "still". The
 * shape class comes from how much of its bounding box the shape fills (square ≈ 1, circle ≈ π/4,
 * triangle and diamond ≈ 1/2), averaged over frames.
 */
public final class SynthJudge {
  /** Brightness (0..1) above which a pixel counts as shape, not background. */
  static final double FOREGROUND = 0.3;

  /** Fewest pixels the shape must travel over the clip to have a direction. */
  static final double MIN_MOTION = 1.0;

  private SynthJudge() {}

  /**
   * What a video shows.
   *
   * @param colour nearest palette colour, or {@code none} when no pixel is bright enough
   * @param direction left, right, up, down, or {@code still}
   * @param shape circle, square, triangle (triangle also stands for diamond), or {@code none}
   * @param travel pixels the centroid line travels over the clip
   * @param fill mean fraction of the bounding box the shape covers
   */
  public record Reading(
      String colour, String direction, String shape, double travel, double fill) {}

  /** Attributes a caption asks for (null where the caption names none). */
  public record Expected(String colour, String shape, String direction) {}

  private static final Pattern WORD = Pattern.compile("[a-z]+");

  /**
   * Finds the palette colour, shape and direction words in a caption such as "a red circle moving
   * left".
   */
  public static Expected parse(String caption) {
    String colour = null;
    String shape = null;
    String direction = null;
    Matcher m = WORD.matcher(caption.toLowerCase(Locale.ROOT));
    while (m.find()) {
      String w = m.group();
      if (colour == null && Synth.COLOURS.containsKey(w)) {
        colour = w;
      } else if (shape == null && Synth.SHAPES.contains(w)) {
        shape = w;
      } else if (direction == null && Synth.DIRECTIONS.contains(w)) {
        direction = w;
      }
    }
    return new Expected(colour, shape, direction);
  }

  /**
   * Judges one video of {@code uint8 [T, H, W, 3]} frames against {@code palette} (colour name →
   * RGB 0..255).
   */
  public static Reading judge(Tensor frames, Map<String, int[]> palette) {
    Natives.load();
    long[] s = Shapes.of(frames);
    if (s.length != 4 || s[3] != 3) {
      throw new IllegalArgumentException(
          "frames: expected shape [T, H, W, 3], found " + Shapes.format(s));
    }
    long t = s[0];
    long h = s[1];
    long w = s[2];
    try (PointerScope scope = new PointerScope()) {
      Tensor rgb = frames.to(DType.F32.scalarType()).div(new Scalar(255.0)); // (T, H, W, 3)
      Tensor fg =
          rgb.amax(new long[] {3}, false)
              .gt(new Scalar(FOREGROUND))
              .to(DType.F32.scalarType()); // (T, H, W)
      double total = fg.sum().item_double();
      if (total < 1) {
        return new Reading("none", "still", "none", 0, 0);
      }
      // colour: mean foreground RGB, nearest palette entry
      Tensor meanRgb = rgb.mul(fg.unsqueeze(3)).sum(0, 1, 2).div(new Scalar(total)); // (3)
      float[] mean = Tensors.toFloats(meanRgb);
      String colour = nearest(mean, palette);
      // direction: centroid per frame, least-squares slope over the frames that show the shape
      Tensor mass = fg.sum(1, 2); // (T)
      Tensor xs =
          torch.arange(new Scalar(w)).to(DType.F32.scalarType()).add(new Scalar(0.5)); // (W)
      Tensor ys =
          torch.arange(new Scalar(h)).to(DType.F32.scalarType()).add(new Scalar(0.5)); // (H)
      Tensor cx = fg.sum(1).mul(xs).sum(1).div(mass.clamp_min(new Scalar(1e-6))); // (T)
      Tensor cy = fg.sum(2).mul(ys).sum(1).div(mass.clamp_min(new Scalar(1e-6))); // (T)
      float[] m = Tensors.toFloats(mass);
      float[] x = Tensors.toFloats(cx);
      float[] y = Tensors.toFloats(cy);
      double[] slope = slope(m, x, y);
      double dx = slope[0] * (t - 1);
      double dy = slope[1] * (t - 1);
      double travel = Math.hypot(dx, dy);
      String direction =
          travel < MIN_MOTION
              ? "still"
              : Math.abs(dx) >= Math.abs(dy)
                  ? (dx < 0 ? "left" : "right")
                  : (dy < 0 ? "up" : "down");
      // shape: fill of the bounding box per frame
      double fill = fill(fg, m);
      String shape = fill > 0.9 ? "square" : fill > 0.64 ? "circle" : "triangle";
      return new Reading(colour, direction, shape, travel, fill);
    }
  }

  private static String nearest(float[] rgb, Map<String, int[]> palette) {
    String best = "none";
    double bestD = Double.MAX_VALUE;
    for (Map.Entry<String, int[]> e : palette.entrySet()) {
      double d = 0;
      for (int c = 0; c < 3; c++) {
        double diff = rgb[c] - e.getValue()[c] / 255.0;
        d += diff * diff;
      }
      if (d < bestD) {
        bestD = d;
        best = e.getKey();
      }
    }
    return best;
  }

  /** Least-squares slopes of x(t) and y(t) over frames with any foreground. */
  private static double[] slope(float[] mass, float[] x, float[] y) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < mass.length; i++) {
      if (mass[i] >= 1) {
        idx.add(i);
      }
    }
    if (idx.size() < 2) {
      return new double[] {0, 0};
    }
    double mt = 0;
    double mx = 0;
    double my = 0;
    for (int i : idx) {
      mt += i;
      mx += x[i];
      my += y[i];
    }
    mt /= idx.size();
    mx /= idx.size();
    my /= idx.size();
    double stt = 0;
    double stx = 0;
    double sty = 0;
    for (int i : idx) {
      stt += (i - mt) * (i - mt);
      stx += (i - mt) * (x[i] - mx);
      sty += (i - mt) * (y[i] - my);
    }
    return new double[] {stx / stt, sty / stt};
  }

  /** Mean over frames with foreground of (foreground pixels / bounding-box pixels). */
  private static double fill(Tensor fg, float[] mass) {
    Tensor rows = fg.amax(new long[] {2}, false); // (T, H) any foreground in the row
    Tensor cols = fg.amax(new long[] {1}, false); // (T, W)
    float[] r = Tensors.toFloats(rows);
    float[] c = Tensors.toFloats(cols);
    int t = mass.length;
    int h = r.length / t;
    int w = c.length / t;
    double sum = 0;
    int n = 0;
    for (int i = 0; i < t; i++) {
      if (mass[i] < 1) {
        continue;
      }
      int height = extent(r, i * h, h);
      int width = extent(c, i * w, w);
      sum += mass[i] / (double) (height * width);
      n++;
    }
    return n == 0 ? 0 : sum / n;
  }

  private static int extent(float[] v, int off, int n) {
    int first = -1;
    int last = -1;
    for (int i = 0; i < n; i++) {
      if (v[off + i] > 0) {
        if (first < 0) {
          first = i;
        }
        last = i;
      }
    }
    return first < 0 ? 1 : last - first + 1;
  }
}
