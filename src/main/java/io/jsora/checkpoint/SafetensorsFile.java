package io.jsora.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.tensor.DType;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * A safetensors file opened for reading.
 *
 * <p>Layout: 8 bytes little-endian header length N, N bytes of UTF-8 JSON (possibly padded with
 * spaces), then the data section; each header entry gives {@code dtype}, {@code shape} and {@code
 * data_offsets} relative to the data section, and an optional {@code __metadata__} maps strings to
 * strings. Every fault is reported as a {@link WeightsFormatException} naming the file before any
 * tensor is touched, so a bad file never reaches native code.
 *
 * <p>Tensors are read by mapping the tensor's byte range and copying it into a new tensor in one
 * native copy; nothing is copied element by element in Java, and files over 2 GiB work since each
 * tensor is mapped on its own.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Largest header accepted, as the reference implementation (100 MB). */
  static final long MAX_HEADER = 100_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Opens and validates {@code path}.
   *
   * @throws WeightsFormatException if the file is not well-formed safetensors
   */
  public static SafetensorsFile open(Path path) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new WeightsFormatException(path, "no such file");
    }
    try {
      return parse(path, ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static SafetensorsFile parse(Path path, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size == 0) {
      throw new WeightsFormatException(
          path, "file is empty (0 bytes); a safetensors file starts with an 8-byte header length");
    }
    if (size < 8) {
      throw new WeightsFormatException(
          path, "file is " + size + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0);
    long n = lenBuf.flip().getLong();
    if (n < 0 || n > size - 8) {
      throw new WeightsFormatException(
          path,
          "header length "
              + Long.toUnsignedString(n)
              + " runs past the end of the file ("
              + size
              + " bytes; at most "
              + (size - 8)
              + " possible)");
    }
    if (n > MAX_HEADER) {
      throw new WeightsFormatException(
          path, "header length " + n + " exceeds the " + MAX_HEADER + "-byte limit");
    }
    if (n < 2) {
      throw new WeightsFormatException(
          path, "header length " + n + " is too short for a JSON object");
    }
    ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
    readFully(ch, headerBuf, 8);
    String header;
    try {
      header =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(headerBuf.flip())
              .toString();
    } catch (CharacterCodingException e) {
      throw new WeightsFormatException(path, "header is not valid UTF-8");
    }
    if (!header.startsWith("{")) {
      throw new WeightsFormatException(
          path, "header does not start with '{' (not a safetensors file?)");
    }
    JsonNode root;
    try {
      root = JSON.readTree(header);
    } catch (JsonProcessingException e) {
      throw new WeightsFormatException(path, "header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new WeightsFormatException(path, "header is not a JSON object");
    }
    long dataSize = size - 8 - n;
    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> infos = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (f.getKey().equals("__metadata__")) {
        if (!f.getValue().isObject()) {
          throw new WeightsFormatException(path, "__metadata__ must be an object of strings");
        }
        Iterator<Map.Entry<String, JsonNode>> m = f.getValue().fields();
        while (m.hasNext()) {
          Map.Entry<String, JsonNode> e = m.next();
          if (!e.getValue().isTextual()) {
            throw new WeightsFormatException(
                path,
                "__metadata__."
                    + e.getKey()
                    + " must be a string, found "
                    + e.getValue().getNodeType());
          }
          metadata.put(e.getKey(), e.getValue().asText());
        }
      } else {
        infos.add(entry(path, f.getKey(), f.getValue(), dataSize));
      }
    }
    List<TensorInfo> byOffset = new ArrayList<>(infos);
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorInfo prev = byOffset.get(i - 1);
      TensorInfo cur = byOffset.get(i);
      if (cur.begin() < prev.end() && cur.byteLength() > 0 && prev.byteLength() > 0) {
        throw new WeightsFormatException(
            path,
            "tensor '"
                + cur.name()
                + "' (bytes "
                + cur.begin()
                + ".."
                + cur.end()
                + ") overlaps tensor '"
                + prev.name()
                + "' (bytes "
                + prev.begin()
                + ".."
                + prev.end()
                + ")");
      }
    }
    Map<String, TensorInfo> map = new LinkedHashMap<>();
    for (TensorInfo t : byOffset) {
      map.put(t.name(), t);
    }
    return new SafetensorsFile(
        path, ch, 8 + n, Collections.unmodifiableMap(map), Collections.unmodifiableMap(metadata));
  }

  private static TensorInfo entry(Path path, String name, JsonNode node, long dataSize)
      throws WeightsFormatException {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw new WeightsFormatException(
          path, where + ": expected an object with dtype, shape and data_offsets");
    }
    JsonNode dt = node.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw new WeightsFormatException(path, where + ": missing dtype");
    }
    DType dtype = DType.fromSafetensorsName(dt.asText());
    if (dtype == null) {
      throw new WeightsFormatException(
          path,
          where
              + ": unknown dtype '"
              + dt.asText()
              + "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
    }
    JsonNode sh = node.get("shape");
    if (sh == null || !sh.isArray()) {
      throw new WeightsFormatException(path, where + ": missing shape");
    }
    long[] shape = new long[sh.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new WeightsFormatException(
            path, where + ": shape " + sh + " must hold non-negative integers");
      }
      shape[i] = d.asLong();
      try {
        numel = Math.multiplyExact(numel, shape[i]);
      } catch (ArithmeticException e) {
        throw new WeightsFormatException(path, where + ": shape " + sh + " overflows");
      }
    }
    JsonNode off = node.get("data_offsets");
    if (off == null
        || !off.isArray()
        || off.size() != 2
        || !off.get(0).isIntegralNumber()
        || !off.get(1).isIntegralNumber()) {
      throw new WeightsFormatException(path, where + ": data_offsets must be [begin, end]");
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new WeightsFormatException(
          path, where + ": data_offsets [" + begin + ", " + end + "] are not an increasing range");
    }
    if (end > dataSize) {
      throw new WeightsFormatException(
          path,
          where
              + ": data_offsets ["
              + begin
              + ", "
              + end
              + "] run past the end of the data section ("
              + dataSize
              + " bytes)");
    }
    long expected = numel * dtype.byteSize();
    if (end - begin != expected) {
      throw new WeightsFormatException(
          path,
          where
              + ": data_offsets span "
              + (end - begin)
              + " bytes but "
              + dtype.safetensorsName()
              + " "
              + sh
              + " needs "
              + expected);
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, pos);
      if (r < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += r;
    }
  }

  public Path path() {
    return path;
  }

  /** The {@code __metadata__} map, empty if absent. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Entries ordered by their position in the data section. */
  public List<TensorInfo> tensors() {
    return List.copyOf(tensors.values());
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The entry for {@code name}; throws naming the file if absent. */
  public TensorInfo info(String name) throws WeightsFormatException {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new WeightsFormatException(path, "no tensor named '" + name + "'");
    }
    return t;
  }

  /** Reads one tensor into a new CPU tensor of the stored dtype; caller owns it. */
  public Tensor tensor(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.byteLength() == 0) {
      try (BytePointer none = new BytePointer(1)) {
        return Tensors.fromBlob(none, t.dtype(), t.shape());
      }
    }
    MappedByteBuffer region =
        channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteLength());
    try (BytePointer p = new BytePointer(region)) {
      return Tensors.fromBlob(p, t.dtype(), t.shape());
    }
  }

  /** Reads every tensor; caller owns the result. */
  public StateDict readAll() throws IOException {
    StateDict sd = new StateDict();
    try {
      for (TensorInfo t : tensors.values()) {
        sd.put(t.name(), tensor(t.name()));
      }
    } catch (IOException | RuntimeException e) {
      sd.close();
      throw e;
    }
    return sd;
  }

  /** Total bytes of tensor data. */
  public long dataBytes() {
    long n = 0;
    for (TensorInfo t : tensors.values()) {
      n += t.byteLength();
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Reads a whole safetensors file; caller owns the result. */
  public static StateDict read(Path path) throws IOException {
    try (SafetensorsFile f = open(path)) {
      return f.readAll();
    }
  }

  /** Whether the first bytes look like safetensors (a plausible length then '{'). */
  public static boolean looksLike(Path path) throws IOException {
    if (!Files.isRegularFile(path) || Files.size(path) < 10) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, b, 0);
      b.flip();
      long n = b.getLong();
      return n > 0 && n <= ch.size() - 8 && b.get() == '{';
    }
  }
}
