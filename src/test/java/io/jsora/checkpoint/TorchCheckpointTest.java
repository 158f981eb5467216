package io.jsora.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fixtures under {@code src/test/resources/torch} were written once by Python's torch.save (PyTorch
 * 1.13); {@code expected.json} holds the values PyTorch saw.
 */
class TorchCheckpointTest {
  static Path fixture(String name) {
    try {
      return Path.of(TorchCheckpointTest.class.getResource("/torch/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode expected() throws IOException {
    try (InputStream in = TorchCheckpointTest.class.getResourceAsStream("/torch/expected.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  /** Asserts {@code sd} holds exactly the fixture's tensors (under {@code prefix}). */
  static void assertMatchesExpected(StateDict sd, String prefix, DType castFloatsTo)
      throws IOException {
    JsonNode exp = expected();
    assertEquals(exp.size(), sd.size());
    Iterator<Map.Entry<String, JsonNode>> it = exp.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Tensor t = sd.get(prefix + e.getKey());
      assertTrue(t != null, "missing " + e.getKey());
      JsonNode want = e.getValue();
      long[] shape = new long[want.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = want.get("shape").get(i).asLong();
      }
      assertArrayEquals(shape, Shapes.of(t), e.getKey());
      DType stored =
          switch (want.get("dtype").asText()) {
            case "float32" -> DType.F32;
            case "float16" -> DType.F16;
            case "bfloat16" -> DType.BF16;
            case "int64" -> DType.I64;
            case "bool" -> DType.BOOL;
            default -> throw new AssertionError(want.get("dtype").asText());
          };
      DType dtype = castFloatsTo != null && stored.isFloatingPoint() ? castFloatsTo : stored;
      assertEquals(dtype, DType.of(t), e.getKey());
      float[] got = Tensors.toFloats(t);
      for (int i = 0; i < got.length; i++) {
        float w = (float) want.get("values").get(i).asDouble();
        if (castFloatsTo == null) {
          assertEquals(w, got[i], 0f, e.getKey() + "[" + i + "]"); // exact
        } else {
          assertEquals(
              w, got[i], Math.abs(w) * 1e-2f + 1e-6f, e.getKey() + "[" + i + "]"); // bf16 rounding
        }
      }
    }
  }

  @Test
  void orderedDictStateDictReadsExactly() throws IOException {
    TorchCheckpoint.Result r = TorchCheckpoint.read(fixture("state_dict_ordered.pt"));
    try (StateDict sd = r.tensors()) {
      assertMatchesExpected(sd, "", null);
      assertEquals(List.of(), r.skipped());
    }
  }

  @Test
  void plainDictReadsExactlyThroughLibtorch() throws IOException {
    TorchCheckpoint.Result r = TorchCheckpoint.read(fixture("state_dict_plain.pt"));
    try (StateDict sd = r.tensors()) {
      assertMatchesExpected(sd, "", null);
    }
  }

  @Test
  void anArchiveBeyondFourGibibytesIsReadStorageByStorage(@TempDir Path tmp) throws IOException {
    // the released T5-XXL shards are 2-10 GB ZIP64 archives: a copy of a fixture behind 4.5 GiB
    Path big = tmp.resolve("pytorch_model-00001-of-00002.bin");
    SparseZip64.write(fixture("state_dict_ordered.pt"), big, 9L << 29);
    assertTrue(Files.size(big) > (4L << 30), "past 4 GiB: " + Files.size(big));
    TorchCheckpoint.Result r = TorchCheckpoint.read(big);
    try (StateDict sd = r.tensors()) {
      assertMatchesExpected(sd, "", null);
    }
  }

  @Test
  void storageBytesAreCopiedInChunksToTheLastByte() throws IOException {
    byte[] src = new byte[1000];
    new java.util.Random(7).nextBytes(src);
    try (org.bytedeco.javacpp.BytePointer dst = new org.bytedeco.javacpp.BytePointer(1000)) {
      long got = TorchPickle.copy(new java.io.ByteArrayInputStream(src), dst, 1000, 7);
      assertEquals(1000, got);
      byte[] back = new byte[1000];
      dst.get(back);
      assertArrayEquals(src, back);
    }
    try (org.bytedeco.javacpp.BytePointer dst = new org.bytedeco.javacpp.BytePointer(1000)) {
      assertEquals(
          600, TorchPickle.copy(new java.io.ByteArrayInputStream(src, 0, 600), dst, 1000, 7));
    }
  }

  @Test
  void plainDictGivesTheSameTensorsBothWays() throws IOException {
    try (StateDict viaLibtorch = TorchCheckpoint.read(fixture("state_dict_plain.pt")).tensors();
        StateDict viaJava = TorchPickle.read(fixture("state_dict_plain.pt")).tensors()) {
      assertEquals(viaLibtorch.names(), viaJava.names());
      for (String n : viaJava.names()) {
        assertTrue(viaJava.get(n).equal(viaLibtorch.get(n)), n);
      }
    }
  }

  @Test
  void nestedDictIsFlattenedWithDottedNamesAndNonTensorsListed() throws IOException {
    TorchCheckpoint.Result r = TorchCheckpoint.read(fixture("nested.pt"));
    try (StateDict sd = r.tensors()) {
      assertMatchesExpected(sd, "model.", null);
      assertEquals(List.of("step"), r.skipped());
    }
  }

  @Test
  void pickledModuleIsRefusedWithHowToConvert() {
    Path f = fixture("pickled_module.pt");
    WeightsFormatException e =
        assertThrows(WeightsFormatException.class, () -> TorchCheckpoint.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("torch.nn.modules.linear.Linear"), e.getMessage());
    assertTrue(
        e.getMessage().contains("torch.save({k: v for k, v in model.state_dict().items()}"),
        e.getMessage());
  }

  @Test
  void legacyFormatIsRefusedWithHowToConvert() {
    Path f = fixture("legacy.pt");
    WeightsFormatException e =
        assertThrows(WeightsFormatException.class, () -> TorchCheckpoint.read(f));
    assertTrue(e.getMessage().contains("legacy pre-1.6 format"), e.getMessage());
  }

  @Test
  void weightsReadChoosesTheFormat() throws IOException {
    try (Weights.Loaded w = Weights.read(fixture("state_dict_ordered.pt"))) {
      assertEquals(Weights.Format.TORCH, w.format());
      assertMatchesExpected(w.tensors(), "", null);
    }
  }
}
