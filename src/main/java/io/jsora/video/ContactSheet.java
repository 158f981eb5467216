package io.jsora.video;

import io.jsora.checkpoint.AtomicFiles;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.pytorch.Tensor;

/**
 * A PNG a person can read: one block per video, its frames left to right in time order (wrapping
 * after {@code columns}), each frame enlarged by an integer factor with nearest-neighbour sampling
 * until its shorter side is at least {@link #MIN_CELL} pixels, and the video's label (its prompt)
 * written in a column on the left of its block.
 *
 * <pre>
 *  +--------------+-------+-------+-------+
 *  | a red circle | t = 0 | t = 1 | t = 2 |   video 0
 *  | moving left  |       |       |       |
 *  +--------------+-------+-------+-------+
 *  | a blue ...   | t = 0 | ...           |   video 1
 * </pre>
 */
public final class ContactSheet {
  private ContactSheet() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** The shorter side, in pixels, frames are enlarged to at least. */
  public static final int MIN_CELL = 96;

  /** Width of the label column in pixels. */
  public static final int LABEL_WIDTH = 200;

  /** Pixels between cells and around the sheet. */
  public static final int GAP = 4;

  static final int BACKGROUND = 32;
  static final Color TEXT = new Color(235, 235, 235);
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

  /**
   * The integer factor that brings a frame's shorter side {@code min(h, w)} to at least {@link
   * #MIN_CELL}.
   */
  public static int scale(int h, int w) {
    return Math.max(1, (MIN_CELL + Math.min(h, w) - 1) / Math.min(h, w));
  }

  /**
   * Writes the sheet of {@code videos} to {@code file} (atomically).
   *
   * @param videos {@code uint8 [N, T, H, W, 3]} on the CPU
   * @param labels one per video, written beside it
   * @param columns frames per line (0 or more than T: all of a video's frames on one line)
   */
  public static void write(Path file, Tensor videos, List<String> labels, int columns)
      throws IOException {
    BufferedImage img = render(videos, labels, columns);
    AtomicFiles.write(
        file,
        ch -> {
          if (!ImageIO.write(img, "png", java.nio.channels.Channels.newOutputStream(ch))) {
            throw new IOException(file + ": no PNG writer");
          }
        });
  }

  /**
   * One frame {@code uint8 [H, W, 3]} (CPU) as a PNG of its own size, e.g. a video's thumbnail
   * (atomically).
   */
  public static void writeFrame(Path file, Tensor frame) throws IOException {
    long[] s = Shapes.of(frame);
    if (s.length != 3 || s[2] != 3 || DType.of(frame) != DType.U8 || frame.is_cuda()) {
      throw new IllegalArgumentException(
          "frame: expected a CPU uint8 [H, W, 3], found "
              + DType.of(frame)
              + " "
              + Shapes.format(s));
    }
    BufferedImage img;
    try (Tensor one = frame.unsqueeze(0)) {
      img = VideoWriter.image(VideoWriter.bytes(one), (int) s[0], (int) s[1]);
    }
    AtomicFiles.write(
        file,
        ch -> {
          if (!ImageIO.write(img, "png", java.nio.channels.Channels.newOutputStream(ch))) {
            throw new IOException(file + ": no PNG writer");
          }
        });
  }

  /** The sheet {@link #write} writes, as an image. */
  public static BufferedImage render(Tensor videos, List<String> labels, int columns) {
    long[] s = Shapes.of(videos);
    if (s.length != 5 || s[4] != 3 || DType.of(videos) != DType.U8 || videos.is_cuda()) {
      throw new IllegalArgumentException(
          "contact sheet: expected CPU uint8 videos [N, T, H, W, 3], found "
              + DType.of(videos)
              + " "
              + Shapes.format(s)
              + (videos.is_cuda() ? " on CUDA" : ""));
    }
    int n = (int) s[0];
    int t = (int) s[1];
    int h = (int) s[2];
    int w = (int) s[3];
    if (labels.size() != n) {
      throw new IllegalArgumentException(
          "contact sheet: " + n + " videos but " + labels.size() + " labels");
    }
    int k = scale(h, w);
    int ch = h * k;
    int cw = w * k;
    int cols = columns > 0 ? Math.min(columns, t) : t;
    int lines = (t + cols - 1) / cols; // lines of frames per video
    int blockH = lines * ch + (lines - 1) * GAP;
    int width = GAP + LABEL_WIDTH + GAP + cols * (cw + GAP);
    int height = GAP + n * (blockH + GAP);
    byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
    java.util.Arrays.fill(rgb, (byte) BACKGROUND);
    byte[] src = VideoWriter.bytes(videos);
    for (int v = 0; v < n; v++) {
      int top = GAP + v * (blockH + GAP);
      for (int f = 0; f < t; f++) {
        int x0 = GAP + LABEL_WIDTH + GAP + (f % cols) * (cw + GAP);
        int y0 = top + (f / cols) * (ch + GAP);
        long frame = ((long) v * t + f) * h * w * 3;
        for (int y = 0; y < ch; y++) {
          int row = (int) (frame + (long) (y / k) * w * 3);
          int dst = ((y0 + y) * width + x0) * 3;
          for (int x = 0; x < cw; x++) {
            int p = row + (x / k) * 3;
            rgb[dst++] = src[p];
            rgb[dst++] = src[p + 1];
            rgb[dst++] = src[p + 2];
          }
        }
      }
    }
    BufferedImage img = VideoWriter.image(rgb, height, width);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(FONT);
      g.setColor(TEXT);
      FontMetrics fm = g.getFontMetrics();
      for (int v = 0; v < n; v++) {
        int top = GAP + v * (blockH + GAP);
        List<String> wrapped = wrap(labels.get(v), fm, LABEL_WIDTH);
        int fit = Math.max(1, blockH / fm.getHeight());
        for (int i = 0; i < Math.min(fit, wrapped.size()); i++) {
          String line =
              i == fit - 1 && wrapped.size() > fit ? wrapped.get(i) + " ..." : wrapped.get(i);
          g.drawString(line, GAP, top + fm.getAscent() + i * fm.getHeight());
        }
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  /**
   * {@code text} broken at spaces into lines at most {@code width} pixels wide (a longer word gets
   * its own line).
   */
  static List<String> wrap(String text, FontMetrics fm, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.trim().split("\\s+")) {
      String tried = line.length() == 0 ? word : line + " " + word;
      if (line.length() > 0 && fm.stringWidth(tried) > width) {
        lines.add(line.toString());
        line = new StringBuilder(word);
      } else {
        line = new StringBuilder(tried);
      }
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
