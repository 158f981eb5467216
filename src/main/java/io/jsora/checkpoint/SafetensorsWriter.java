package io.jsora.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes safetensors files exactly as the format's reference serializer lays them out:
 *
 * <ul>
 *   <li>tensors ordered by dtype (the reference's dtype order, descending, so wider types come
 *       first and every tensor stays aligned), then by name;
 *   <li>a compact JSON header: {@code __metadata__} first (keys sorted), then each tensor as {@code
 *       {"dtype":..,"shape":[..],"data_offsets":[b,e]}};
 *   <li>the header padded with spaces to a multiple of 8 bytes;
 *   <li>the data section: each tensor's bytes, contiguous, little-endian, no gaps.
 * </ul>
 *
 * Writing is atomic: a temporary file in the same directory, flushed, then renamed over the target,
 * so readers never see a half-written file.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /** The reference serializer's dtype order (its enum order); higher sorts first. */
  private static int rank(DType d) {
    switch (d) {
      case BOOL:
        return 0;
      case U8:
        return 1;
      case I8:
        return 2;
      case I16:
        return 5;
      case F16:
        return 7;
      case BF16:
        return 8;
      case I32:
        return 9;
      case F32:
        return 11;
      case F64:
        return 12;
      case I64:
        return 13;
      default:
        throw new IllegalArgumentException("no rank for " + d);
    }
  }

  /** Writes {@code tensors} (not closed; any device, any layout) to {@code path} atomically. */
  public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    List<Map.Entry<String, Tensor>> order = ordered(tensors);
    List<TensorInfo> infos = new ArrayList<>();
    long offset = 0;
    for (Map.Entry<String, Tensor> e : order) {
      Tensor t = e.getValue();
      DType d = DType.of(t);
      long len = t.numel() * d.byteSize();
      infos.add(new TensorInfo(e.getKey(), d, Shapes.of(t), offset, offset + len));
      offset += len;
    }
    byte[] header = header(infos, metadata);
    AtomicFiles.write(
        path,
        ch -> {
          ByteBuffer len =
              ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
          writeFully(ch, len);
          writeFully(ch, ByteBuffer.wrap(header));
          for (Map.Entry<String, Tensor> e : order) {
            writeTensor(ch, e.getValue());
          }
        });
  }

  /** Writes a state dict; see {@link #write(Path, Map, Map)}. */
  public static void write(Path path, StateDict sd, Map<String, String> metadata)
      throws IOException {
    write(path, sd.asMap(), metadata);
  }

  static List<Map.Entry<String, Tensor>> ordered(Map<String, Tensor> tensors) {
    List<Map.Entry<String, Tensor>> order = new ArrayList<>(tensors.entrySet());
    order.sort(
        Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -rank(DType.of(e.getValue())))
            .thenComparing(Map.Entry::getKey));
    return order;
  }

  /** The header bytes (JSON plus space padding) for entries already in file order. */
  static byte[] header(List<TensorInfo> infos, Map<String, String> metadata) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      if (metadata != null && !metadata.isEmpty()) {
        g.writeObjectFieldStart("__metadata__");
        for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
          g.writeStringField(m.getKey(), m.getValue());
        }
        g.writeEndObject();
      }
      for (TensorInfo t : infos) {
        g.writeObjectFieldStart(t.name());
        g.writeStringField("dtype", t.dtype().safetensorsName());
        g.writeArrayFieldStart("shape");
        for (long s : t.shape()) {
          g.writeNumber(s);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("data_offsets");
        g.writeNumber(t.begin());
        g.writeNumber(t.end());
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int pad = (8 - out.size() % 8) % 8;
    for (int i = 0; i < pad; i++) {
      out.write(' ');
    }
    return out.toByteArray();
  }

  private static void writeTensor(FileChannel ch, Tensor t) throws IOException {
    if (t.numel() == 0) {
      return;
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor c = t.detach().cpu().contiguous();
      long n = c.nbytes();
      long written = 0;
      // a ByteBuffer holds at most 2 GiB: write large tensors in slices
      while (written < n) {
        long chunk = Math.min(n - written, 1L << 30);
        BytePointer p =
            new BytePointer(c.data_ptr())
                .position(written)
                .capacity(written + chunk)
                .limit(written + chunk);
        writeFully(ch, p.asBuffer());
        written += chunk;
      }
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
