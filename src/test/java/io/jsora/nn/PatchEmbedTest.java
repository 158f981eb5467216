package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PatchEmbedTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void patchifyOrdersTokensFrameThenRowThenColumnAndPatchValuesChannelThenRowThenColumn() {
    try (PointerScope s = new PointerScope()) {
      long b = 2, c = 3, t = 2, h = 4, w = 6;
      int p = 2;
      float[] x = new float[(int) (b * c * t * h * w)];
      for (int i = 0; i < x.length; i++) {
        x[i] = i;
      }
      Tensor video = Tensors.of(x, b, c, t, h, w);
      Tensor tok = PatchEmbed.patchify(video, p);
      assertArrayEquals(new long[] {b, t * (h / p) * (w / p), c * p * p}, Shapes.of(tok));
      float[] got = Tensors.toFloats(tok);
      long s0 = t * (h / p) * (w / p);
      for (int bi = 0; bi < b; bi++) {
        for (int f = 0; f < t; f++) {
          for (int r = 0; r < h / p; r++) {
            for (int q = 0; q < w / p; q++) {
              long token = (f * (h / p) + r) * (w / p) + q;
              for (int ci = 0; ci < c; ci++) {
                for (int dy = 0; dy < p; dy++) {
                  for (int dx = 0; dx < p; dx++) {
                    long src = (((bi * c + ci) * t + f) * h + (r * p + dy)) * w + (q * p + dx);
                    long dst = (bi * s0 + token) * c * p * p + (ci * p + dy) * p + dx;
                    assertEquals(x[(int) src], got[(int) dst]);
                  }
                }
              }
            }
          }
        }
      }
      assertEquals(
          0.0, PatchEmbed.unpatchify(tok, c, t, h, w, p).sub(video).abs().max().item_double());
    }
  }

  @Test
  void embeddingIsTheConvWeightAppliedToEachPatch() {
    try (PointerScope s = new PointerScope()) {
      torch.manual_seed(1);
      PatchEmbed pe = new PatchEmbed(3, 8, 4);
      Tensor video = torch.randn(1, 3, 2, 8, 8);
      Tensor y = pe.forward(PatchEmbed.patchify(video, 4)); // (1, 8, 8)
      // oracle: conv2d with stride p on each frame, flattened row-major
      Tensor frames = video.permute(0, 2, 1, 3, 4).reshape(2, 3, 8, 8);
      Tensor conv =
          torch.conv2d(
              frames,
              pe.proj().weight(),
              new org.bytedeco.pytorch.TensorOptional(pe.proj().bias()),
              new long[] {4, 4},
              new long[] {0, 0},
              new long[] {1, 1},
              1); // (2, 8, 2, 2)
      Tensor ref = conv.flatten(2, 3).transpose(1, 2).reshape(1, 8, 8);
      assertTrue(y.sub(ref).abs().max().item_double() < 1e-5);
      assertThrows(
          IllegalArgumentException.class, () -> PatchEmbed.patchify(torch.zeros(1, 3, 2, 6, 8), 4));
    }
  }
}
