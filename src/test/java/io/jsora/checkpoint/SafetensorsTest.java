package io.jsora.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsTest {
  @TempDir Path dir;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** Random bit patterns of {@code dtype}, including NaN, infinities and -0 for floats. */
  private static Tensor randomBits(DType dtype, long seed, long... shape) {
    Generator g = torch.createCPUGenerator(seed);
    Tensor bytes =
        torch.randint(
            0,
            256,
            new long[] {Shapes.numel(shape) * dtype.byteSize()},
            new GeneratorOptional(g),
            new TensorOptions(torch.ScalarType.Byte));
    if (dtype == DType.BOOL) {
      return bytes
          .remainder(new org.bytedeco.pytorch.Scalar(2))
          .to(torch.ScalarType.Bool)
          .reshape(shape);
    }
    return bytes.view(dtype.scalarType()).reshape(shape);
  }

  /** Compares raw bytes, so NaN payloads and -0 count. */
  private static void assertBitsEqual(Tensor a, Tensor b) {
    assertArrayEquals(Shapes.of(a), Shapes.of(b));
    assertEquals(DType.of(a), DType.of(b));
    Tensor ab = a.contiguous().reshape(-1).view(torch.ScalarType.Byte);
    Tensor bb = b.contiguous().reshape(-1).view(torch.ScalarType.Byte);
    assertTrue(ab.equal(bb), "bytes differ");
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void roundTripIsBitExactForEveryDtype(DType dtype) throws IOException {
    Path f = dir.resolve("t.safetensors");
    try (PointerScope s = new PointerScope()) {
      Map<String, Tensor> m = new LinkedHashMap<>();
      m.put("x", randomBits(dtype, 1, 3, 5));
      m.put("scalar", randomBits(dtype, 2));
      m.put("empty", randomBits(dtype, 3, 0, 4));
      m.put("view", randomBits(dtype, 4, 6, 4).t()); // non-contiguous
      SafetensorsWriter.write(f, m, Map.of("k", "v"));
      try (SafetensorsFile r = SafetensorsFile.open(f);
          StateDict back = r.readAll()) {
        assertEquals(Map.of("k", "v"), r.metadata());
        for (Map.Entry<String, Tensor> e : m.entrySet()) {
          assertBitsEqual(e.getValue(), back.get(e.getKey()));
        }
      }
    }
  }

  /** The bytes the format prescribes, assembled by hand, for three tensors of three dtypes. */
  private static byte[] handAssembled() {
    String json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[16,20]}}";
    StringBuilder header = new StringBuilder(json);
    while (header.length() % 8 != 0) {
      header.append(' ');
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 20).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    b.putLong(7L); // a
    b.putFloat(1.0f).putFloat(-2.0f); // b
    b.putShort((short) 0x3f80).putShort((short) 0xc040); // c: bf16 1.0, -3.0
    return b.array();
  }

  @Test
  void writerProducesExactlyTheFormatsBytes() throws IOException {
    Path f = dir.resolve("w.safetensors");
    try (PointerScope s = new PointerScope()) {
      Map<String, Tensor> m = new LinkedHashMap<>();
      // insertion order differs from file order on purpose: the writer sorts by dtype, then name
      m.put("c", Tensors.of(new float[] {1f, -3f}, 1, 2).to(torch.ScalarType.BFloat16));
      m.put("b", Tensors.of(new float[] {1f, -2f}, 2));
      m.put("a", Tensors.of(new long[] {7}, 1));
      SafetensorsWriter.write(f, m, Map.of("format", "pt"));
    }
    assertArrayEquals(handAssembled(), Files.readAllBytes(f));
  }

  @Test
  void readerReadsHandAssembledBytes() throws IOException {
    Path f = dir.resolve("h.safetensors");
    Files.write(f, handAssembled());
    try (SafetensorsFile r = SafetensorsFile.open(f);
        StateDict sd = r.readAll()) {
      assertEquals(Map.of("format", "pt"), r.metadata());
      assertArrayEquals(new long[] {7}, Tensors.toLongs(sd.get("a")));
      assertArrayEquals(new float[] {1f, -2f}, Tensors.toFloats(sd.get("b")));
      assertEquals(DType.BF16, DType.of(sd.get("c")));
      assertArrayEquals(new long[] {1, 2}, Shapes.of(sd.get("c")));
      assertArrayEquals(new float[] {1f, -3f}, Tensors.toFloats(sd.get("c")));
    }
  }

  // ------------------------------------------------------------------ bad files

  private Path file(String name, byte[] bytes) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  private static byte[] withHeader(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  private void assertBad(Path f, String fault) {
    WeightsFormatException e =
        assertThrows(WeightsFormatException.class, () -> SafetensorsFile.open(f).close());
    assertTrue(e.getMessage().startsWith(f.toString() + ": "), "names the file: " + e.getMessage());
    assertTrue(e.getMessage().contains(fault), "expected '" + fault + "' in: " + e.getMessage());
  }

  @Test
  void zeroByteFile() throws IOException {
    assertBad(file("empty.safetensors", new byte[0]), "file is empty (0 bytes)");
  }

  @Test
  void fileShorterThanTheLengthField() throws IOException {
    assertBad(
        file("short.safetensors", new byte[] {1, 2, 3}), "too short for the 8-byte header length");
  }

  @Test
  void headerLengthPastTheEnd() throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(1000)
            .put("{}      ".getBytes(StandardCharsets.US_ASCII));
    assertBad(
        file("long.safetensors", b.array()),
        "header length 1000 runs past the end of the file (16 bytes");
  }

  @Test
  void headerLengthWithTopBitSet() throws IOException {
    ByteBuffer b =
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(-8)
            .put("{}      ".getBytes(StandardCharsets.US_ASCII));
    assertBad(file("neg.safetensors", b.array()), "runs past the end of the file");
  }

  @Test
  void invalidJson() throws IOException {
    assertBad(
        file("json.safetensors", withHeader("{\"a\": {\"dtype\": \"F32\",", 0)),
        "header is not valid JSON");
  }

  @Test
  void notJsonAtAll() throws IOException {
    assertBad(
        file("text.safetensors", withHeader("hello world", 0)), "header does not start with '{'");
  }

  @Test
  void unknownDtype() throws IOException {
    assertBad(
        file(
            "dtype.safetensors",
            withHeader("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2)),
        "tensor 'w': unknown dtype 'F8_E4M3'");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    assertBad(
        file(
            "range.safetensors",
            withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8)),
        "tensor 'w': data_offsets [0, 16] run past the end of the data section (8 bytes)");
  }

  @Test
  void offsetsOverlapping() throws IOException {
    assertBad(
        file(
            "overlap.safetensors",
            withHeader(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12)),
        "tensor 'b' (bytes 4..12) overlaps tensor 'a' (bytes 0..8)");
  }

  @Test
  void offsetsDisagreeWithShape() throws IOException {
    assertBad(
        file(
            "span.safetensors",
            withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)),
        "data_offsets span 8 bytes but F32 [3] needs 12");
  }

  @Test
  void decreasingOffsets() throws IOException {
    assertBad(
        file(
            "dec.safetensors",
            withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8)),
        "are not an increasing range");
  }

  @Test
  void negativeShape() throws IOException {
    assertBad(
        file(
            "shape.safetensors",
            withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)),
        "must hold non-negative integers");
  }

  @Test
  void metadataMustHoldStrings() throws IOException {
    assertBad(
        file("meta.safetensors", withHeader("{\"__metadata__\":{\"n\":3}}", 0)),
        "__metadata__.n must be a string");
  }

  @Test
  void missingFile() {
    assertBad(dir.resolve("nope.safetensors"), "no such file");
  }

  // ------------------------------------------------------------------ atomic writes

  @Test
  void failedWriteLeavesThePreviousFileAndNoTemporaries() throws IOException {
    Path f = dir.resolve("keep.safetensors");
    Files.write(f, handAssembled());
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    f,
                    ch -> {
                      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                      throw new IOException("disk full (simulated)");
                    }));
    assertEquals("disk full (simulated)", e.getMessage());
    assertArrayEquals(handAssembled(), Files.readAllBytes(f));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void writtenFilesAreReadableByOthers() throws IOException {
    Path f = dir.resolve("perm.bin");
    AtomicFiles.writeString(f, "x");
    assertEquals(
        "rw-r--r--",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
  }

  @Test
  void headerIsPaddedToEightBytes() {
    for (int n = 0; n < 9; n++) {
      byte[] h =
          SafetensorsWriter.header(
              java.util.List.of(new TensorInfo("x".repeat(n + 1), DType.F32, new long[] {1}, 0, 4)),
              Map.of());
      assertEquals(0, h.length % 8);
      assertEquals('{', h[0]);
    }
  }
}
