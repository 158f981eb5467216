package io.jsora.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The labelled contact sheet: its size, its nearest-neighbour cells and its text. */
class ContactSheetTest {
  @TempDir Path dir;

  private static final int T = 5;
  private static final int H = 16;
  private static final int W = 12;
  private static final int K = 8; // 12 px → 96 px
  private static final int COLS = 3;
  private static final int BLOCK = 2 * H * K + ContactSheet.GAP; // two lines of frames per video
  private static final int LEFT = ContactSheet.GAP + ContactSheet.LABEL_WIDTH + ContactSheet.GAP;

  private static int bright(BufferedImage img, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int rgb = img.getRGB(x, y);
        n += ((rgb >> 16) & 0xff) > 128 && ((rgb >> 8) & 0xff) > 128 && (rgb & 0xff) > 128 ? 1 : 0;
      }
    }
    return n;
  }

  @Test
  void framesAreEnlargedWithoutBlendingAndEachRowCarriesItsLabel() throws Exception {
    assertEquals(K, ContactSheet.scale(H, W));
    assertEquals(1, ContactSheet.scale(128, 96));
    try (PointerScope s = new PointerScope();
        Tensor a = TestVideos.gradient(T, H, W)) { // (T, H, W, 3)
      Tensor videos =
          torch.stack(new TensorVector(a, a.flip(2)), 0).contiguous(); // (2, T, H, W, 3)
      Path png = dir.resolve("sheet.png");
      List<String> labels =
          List.of(
              "a red circle moving left",
              "a blue square moving up, slowly, then a green triangle moving right");
      ContactSheet.write(png, videos, labels, COLS);
      BufferedImage img = ImageIO.read(png.toFile());
      assertEquals(LEFT + COLS * (W * K + ContactSheet.GAP), img.getWidth());
      assertEquals(ContactSheet.GAP + 2 * (BLOCK + ContactSheet.GAP), img.getHeight());

      // video 1, frame 4: second line, second column; every pixel of an 8x8 block is its source
      // pixel
      int x0 = LEFT + (W * K + ContactSheet.GAP);
      int y0 = ContactSheet.GAP + BLOCK + ContactSheet.GAP + H * K + ContactSheet.GAP;
      Tensor frame = videos.get(1).get(4);
      for (int[] rc : new int[][] {{0, 0}, {3, 7}, {15, 11}, {9, 2}}) {
        for (int[] d : new int[][] {{0, 0}, {K - 1, K - 1}, {2, 5}}) {
          int rgb = img.getRGB(x0 + rc[1] * K + d[1], y0 + rc[0] * K + d[0]);
          for (int c = 0; c < 3; c++) {
            int want = frame.get(rc[0]).get(rc[1]).get(c).item_int() & 0xff;
            assertEquals(
                want,
                (rgb >> (16 - 8 * c)) & 0xff,
                "pixel ("
                    + rc[0]
                    + ","
                    + rc[1]
                    + ") channel "
                    + c
                    + " at offset "
                    + d[0]
                    + ","
                    + d[1]);
          }
        }
      }

      // the label column: text in each video's block, nothing spilling into the gap before the
      // frames
      for (int v = 0; v < 2; v++) {
        int top = ContactSheet.GAP + v * (BLOCK + ContactSheet.GAP);
        int text = bright(img, 0, top, ContactSheet.GAP + ContactSheet.LABEL_WIDTH, top + BLOCK);
        assertTrue(text > 100, "video " + v + ": " + text + " text pixels beside its frames");
        assertEquals(
            0,
            bright(img, ContactSheet.GAP + ContactSheet.LABEL_WIDTH, top, LEFT, top + BLOCK),
            "video " + v + " label overflows");
      }
      // the longer prompt wraps onto more lines than the short one
      int shortLines = lines(img, ContactSheet.GAP, BLOCK);
      int longLines = lines(img, ContactSheet.GAP + BLOCK + ContactSheet.GAP, BLOCK);
      assertTrue(
          shortLines == 1 && longLines >= 2, shortLines + " and " + longLines + " text lines");
    }
  }

  /** Bands of rows with text in the label column from {@code top}. */
  private static int lines(BufferedImage img, int top, int height) {
    int bands = 0;
    boolean in = false;
    for (int y = top; y < top + height; y++) {
      boolean any = bright(img, 0, y, ContactSheet.GAP + ContactSheet.LABEL_WIDTH, y + 1) > 0;
      bands += any && !in ? 1 : 0;
      in = any;
    }
    return bands;
  }

  @Test
  void mismatchedLabelsAreRefused() {
    try (PointerScope s = new PointerScope();
        Tensor g = TestVideos.gradient(2, 4, 4)) {
      Tensor v = g.unsqueeze(0);
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> ContactSheet.render(v, List.of("a", "b"), 0));
      assertEquals("contact sheet: 1 videos but 2 labels", e.getMessage());
    }
  }
}
