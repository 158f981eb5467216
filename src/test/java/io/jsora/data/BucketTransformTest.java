package io.jsora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.data.bucket.BucketId;
import io.jsora.data.bucket.Resolution;
import io.jsora.tensor.Shapes;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link BucketTransform} against the reference's own {@code temporal_random_crop} and {@code
 * resize_crop_to_fill} ({@code tools/golden/bucket_transform.py} ran Open-Sora 1.2's code under
 * PyTorch 1.13).
 */
class BucketTransformTest {
  private static Path golden(String name) throws Exception {
    return Path.of(BucketTransformTest.class.getResource("/golden/buckets/" + name).toURI());
  }

  @Test
  void resizeCropMatchesTheReference() throws Exception {
    JsonNode sizes = new ObjectMapper().readTree(golden("transform.json").toFile()).get("resize");
    try (StateDict g = SafetensorsFile.read(golden("transform.safetensors"));
        PointerScope s = new PointerScope()) {
      for (int k = 0; k < sizes.size(); k++) {
        Tensor want = g.get(k + ".output");
        Tensor got =
            BucketTransform.resizeCropToFill(
                g.get(k + ".input"),
                sizes.get(k).get("height").asInt(),
                sizes.get(k).get("width").asInt());
        assertArrayEquals(Shapes.of(want), Shapes.of(got), "case " + k);
        double diff = got.sub(want).abs().max().item_double();
        // libtorch 2.10's bilinear kernel against PyTorch 1.13's, values in [0, 1]: measured
        // 1.3e-6 at most (a few float32 ulps); a crop one pixel off or a size rounded the other
        // way gives differences near 0.1
        assertTrue(diff <= 5e-6, "case " + k + " differs by " + diff);
      }
    }
  }

  @Test
  void windowsMatchTheReference() throws Exception {
    JsonNode cases = new ObjectMapper().readTree(golden("transform.json").toFile()).get("temporal");
    for (JsonNode c : cases) {
      long total = c.get("total").asLong();
      int n = c.get("num_frames").asInt();
      int fi = c.get("frame_interval").asInt();
      assertEquals(c.get("start_max").asLong(), BucketTransform.lastStart(total, n, fi), "" + c);
      long[] want = new ObjectMapper().convertValue(c.get("indices"), long[].class);
      assertArrayEquals(
          want, BucketTransform.window(total, n, fi, c.get("start").asLong()), c.toString());
    }
  }

  @Test
  void seededStartsCoverTheRangeAndShortVideosAreRefused() {
    Set<Long> starts = new HashSet<>();
    for (long seed = 0; seed < 200; seed++) {
      long[] idx = BucketTransform.frameIndices(12, 4, 1, seed);
      assertEquals(
          idx[0], BucketTransform.frameIndices(12, 4, 1, seed)[0], "same seed, same start");
      starts.add(idx[0]);
    }
    assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), starts, "starts 0..12-4-1");
    assertNull(BucketTransform.frameIndices(3, 4, 1, 0), "3 frames for a 4-frame bucket");
  }

  @Test
  void applyWindowsResizesCropsAndCutsToTheAlignment() {
    try (PointerScope s = new PointerScope()) {
      // 6 frames of 30 x 50, frame f filled with the value 10 f
      byte[] bytes = new byte[6 * 30 * 50 * 3];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (10 * (i / (30 * 50 * 3)));
      }
      Tensor frames = io.jsora.tensor.Tensors.ofBytes(bytes, 6, 30, 50, 3);
      BucketId b = new BucketId(Resolution.P144, 4, Resolution.P144.size("1:1")); // 192 x 192
      try (Tensor x = BucketTransform.apply(frames, b, 1, new int[] {1, 16, 40}, 3)) {
        assertArrayEquals(new long[] {3, 4, 192, 160}, Shapes.of(x)); // 192 cut to 4 x 40
        long start = BucketTransform.frameIndices(6, 4, 1, 3)[0];
        for (int t = 0; t < 4; t++) {
          double want = 10.0 * (start + t) / 255 - 0.5;
          assertEquals(want, x.select(1, t).mean().item_double(), 1e-6, "frame " + t);
        }
      }
    }
  }
}
