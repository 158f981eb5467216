package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The real {@code openai/clip-vit-base-patch32} checkpoint's key/shape list (committed, derived
 * from the upstream code and the model's config): jsora's text model built from the real config has
 * exactly the text part, and the loader takes exactly that part and ignores the rest. No weights
 * are read: the fake checkpoint's tensors are broadcast zeros of the listed shapes.
 */
class ClipTextKeysTest {
  record Entry(String name, DType dtype, long[] shape) {}

  static List<Entry> realKeys() throws IOException {
    List<Entry> out = new ArrayList<>();
    for (String line :
        Files.readAllLines(Golden.resource("golden/clip/clip-vit-base-patch32.keys.tsv"))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      long[] shape =
          f[2].isEmpty()
              ? new long[0]
              : java.util.Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray();
      out.add(new Entry(f[0], DType.fromSafetensorsName(f[1]), shape));
    }
    return out;
  }

  @Test
  void realConfigReadsAsThePublishedTextTower() throws IOException {
    ClipTextConfig c =
        ClipTextConfig.read(Golden.resource("golden/clip/clip-vit-base-patch32.config.json"));
    assertEquals(ClipTextConfig.clipVitBasePatch32(), c);
    assertEquals(63_165_952L, c.parameterCount());
  }

  @Test
  void modelFromRealConfigHasExactlyTheTextKeysAndTheLoaderIgnoresTheRest() throws IOException {
    List<Entry> keys = realKeys();
    assertEquals(400, keys.size(), "entries in the committed list");
    ClipTextConfig c =
        ClipTextConfig.read(Golden.resource("golden/clip/clip-vit-base-patch32.config.json"));
    List<String> expectedText = new ArrayList<>();
    List<String> expectedIgnored = new ArrayList<>();
    for (Entry e : keys) {
      (ClipTextWeights.isTextParameter(e.name()) ? expectedText : expectedIgnored)
          .add(e.name() + " " + Shapes.format(e.shape()));
    }
    try (ClipTextModel model = ClipTextModel.create(c);
        PointerScope s = new PointerScope()) {
      List<String> actual = new ArrayList<>();
      long numel = 0;
      try (StateDict sd = model.stateDict()) {
        for (String name : sd.names()) {
          actual.add(sd.describe(name));
          numel += sd.get(name).numel();
        }
      }
      assertEquals(expectedText, actual, "text model keys and shapes, in upstream order");
      assertEquals(c.parameterCount(), numel);

      try (StateDict checkpoint = new StateDict()) {
        for (Entry e : keys) {
          Tensor zero = torch.zeros(new long[0], new TensorOptions(e.dtype().scalarType()));
          checkpoint.put(e.name(), zero.expand(e.shape()));
        }
        try (ClipTextWeights.Selection sel = ClipTextWeights.select(checkpoint)) {
          List<String> ignored = new ArrayList<>();
          for (Entry e : keys) {
            if (sel.ignored().contains(e.name())) {
              ignored.add(e.name() + " " + Shapes.format(e.shape()));
            }
          }
          assertEquals(expectedIgnored, ignored);
          assertEquals(expectedIgnored.size(), sel.ignored().size());
          assertTrue(
              sel.describeIgnored()
                  .equals(
                      "204 tensors: logit_scale, text_model.embeddings.position_ids (buffer), "
                          + "text_projection.weight, vision_model.* (199), vision_model.embeddings.position_ids (buffer), visual_projection.weight"),
              sel.describeIgnored());
          model.loadWeights(sel.text(), "fake clip-vit-base-patch32");
        }
      }
    }
  }
}
