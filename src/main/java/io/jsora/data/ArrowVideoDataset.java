package io.jsora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Random access to a dataset in the Hugging Face {@code save_to_disk} layout (jsora's, or one
 * written by Python {@code datasets}), memory-mapped: opening reads only the message headers of
 * each shard; a record batch is mapped and wrapped, without copying, the first time one of its rows
 * is read; a cell is copied into a new tensor with one memory copy. Thread-safe for reads.
 */
public final class ArrowVideoDataset implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What made the dataset (from {@code jsora.json}; defaults for datasets written elsewhere). */
  public record Info(
      String textEncoder,
      boolean pooled,
      String compressor,
      LatentSpec.Kind latentKind,
      int[] factors,
      Path videoDir) {}

  private record Batch(
      int shard, long bodyOffset, long bodyLength, MessageMetadataResult header, int rows) {}

  private final Path dir;
  private final BufferAllocator allocator = new RootAllocator();
  private final List<FileChannel> channels = new ArrayList<>();
  private final List<Batch> batches = new ArrayList<>();
  private final long[] starts;
  private final java.util.concurrent.atomic.AtomicReferenceArray<VectorSchemaRoot> loaded;
  private final Schema schema;
  private final Info info;
  private final long rows;

  private ArrowVideoDataset(Path dir, List<Path> shards, Path videoDirOverride) throws IOException {
    this.dir = dir;
    Schema first = null;
    try {
      for (int s = 0; s < shards.size(); s++) {
        Path f = shards.get(s);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        channels.add(ch);
        ReadChannel rc = new ReadChannel(ch);
        MessageMetadataResult m = MessageSerializer.readMessage(rc);
        if (m == null || m.headerType() != MessageHeader.Schema) {
          throw new IOException(f + ": not an Arrow IPC stream (no schema message first)");
        }
        Schema sc = MessageSerializer.deserializeSchema(m);
        if (first == null) {
          first = sc;
        } else if (!first.getFields().equals(sc.getFields())) {
          throw new IOException(
              f
                  + ": schema "
                  + sc.getFields()
                  + " differs from the first shard's "
                  + first.getFields());
        }
        while (true) {
          long before = ch.position();
          MessageMetadataResult h;
          try {
            h = MessageSerializer.readMessage(rc);
          } catch (IOException | RuntimeException e) {
            throw new IOException(
                f + ": damaged Arrow message at byte " + before + " (" + e.getMessage() + ")", e);
          }
          if (h == null) {
            break;
          }
          long body = ch.position();
          if (h.headerType() == MessageHeader.RecordBatch) {
            org.apache.arrow.flatbuf.RecordBatch rb =
                (org.apache.arrow.flatbuf.RecordBatch)
                    h.getMessage().header(new org.apache.arrow.flatbuf.RecordBatch());
            if (body + h.getMessageBodyLength() > ch.size()) {
              throw new IOException(
                  f
                      + ": record batch at byte "
                      + before
                      + " runs past the end of the file (truncated shard)");
            }
            batches.add(
                new Batch(s, body, h.getMessageBodyLength(), h, Math.toIntExact(rb.length())));
          } else {
            throw new IOException(
                f + ": unsupported Arrow message type " + h.headerType() + " at byte " + before);
          }
          ch.position(body + h.getMessageBodyLength());
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    if (first == null) {
      close();
      throw new IOException(dir + ": no data-*.arrow shard");
    }
    this.schema = first;
    starts = new long[batches.size() + 1];
    for (int i = 0; i < batches.size(); i++) {
      starts[i + 1] = starts[i] + batches.get(i).rows();
    }
    rows = starts[batches.size()];
    loaded = new java.util.concurrent.atomic.AtomicReferenceArray<>(batches.size());
    this.info = readInfo(dir, schema, videoDirOverride);
  }

  /** Opens {@code dir} (shards from {@code state.json}, else every {@code data-*.arrow}). */
  public static ArrowVideoDataset open(Path dir) throws IOException {
    return open(dir, null);
  }

  /**
   * Opens {@code dir}, reading videos from {@code videoDir} (null: the directory recorded in {@code
   * jsora.json}).
   */
  public static ArrowVideoDataset open(Path dir, Path videoDir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(
          dir.toString(), null, "dataset directory not found");
    }
    List<Path> shards = new ArrayList<>();
    Path state = dir.resolve("state.json");
    if (Files.isRegularFile(state)) {
      for (JsonNode f : JSON.readTree(state.toFile()).path("_data_files")) {
        shards.add(dir.resolve(f.get("filename").asText()));
      }
    } else {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "data-*.arrow")) {
        for (Path p : s) {
          shards.add(p);
        }
      }
      shards.sort(null);
    }
    if (shards.isEmpty()) {
      throw new IOException(
          dir
              + ": no data-*.arrow shard (is preprocessing finished? see "
              + Preprocessor.PROGRESS_DIR
              + ")");
    }
    return new ArrowVideoDataset(dir, shards, videoDir);
  }

  private static Info readInfo(Path dir, Schema schema, Path videoDirOverride) throws IOException {
    Path f = dir.resolve("jsora.json");
    boolean pooled = depth(schema, HfDataset.TEXT_LATENT_STATES) == 1;
    if (!Files.isRegularFile(f)) {
      return new Info(null, pooled, null, latentKind(schema), null, videoDirOverride);
    }
    JsonNode j = JSON.readTree(f.toFile());
    JsonNode l = j.path("latent");
    int[] factors = null;
    LatentSpec.Kind kind = null;
    if (l.isObject()) {
      factors =
          new int[] {
            l.get("factors").get(0).asInt(),
            l.get("factors").get(1).asInt(),
            l.get("factors").get(2).asInt()
          };
      kind = LatentSpec.Kind.valueOf(l.get("kind").asText().toUpperCase(java.util.Locale.ROOT));
    }
    Path videos =
        videoDirOverride != null
            ? videoDirOverride
            : j.hasNonNull("video_dir") ? Path.of(j.get("video_dir").asText()) : null;
    return new Info(
        j.path("text_encoder").asText(null),
        pooled,
        j.path("compressor").asText(null),
        kind,
        factors,
        videos);
  }

  private static LatentSpec.Kind latentKind(Schema schema) {
    int d = depth(schema, HfDataset.VIDEO_LATENT_STATES);
    if (d < 0) {
      return null;
    }
    org.apache.arrow.vector.types.pojo.Field f = schema.findField(HfDataset.VIDEO_LATENT_STATES);
    while (!f.getChildren().isEmpty()) {
      f = f.getChildren().get(0);
    }
    if (f.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.Int) {
      return LatentSpec.Kind.INDICES;
    }
    return ((org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint) f.getType()).getPrecision()
            == org.apache.arrow.vector.types.FloatingPointPrecision.HALF
        ? LatentSpec.Kind.FLOAT16
        : LatentSpec.Kind.FLOAT32;
  }

  private static int depth(Schema schema, String column) {
    org.apache.arrow.vector.types.pojo.Field f;
    try {
      f = schema.findField(column);
    } catch (IllegalArgumentException e) {
      return -1;
    }
    int d = 0;
    while (!f.getChildren().isEmpty()) {
      f = f.getChildren().get(0);
      d++;
    }
    return d;
  }

  public Path directory() {
    return dir;
  }

  public Info info() {
    return info;
  }

  public Schema schema() {
    return schema;
  }

  /** Number of rows. */
  public long size() {
    return rows;
  }

  public boolean hasColumn(String name) {
    return depth(schema, name) >= 0;
  }

  /** Whether rows carry cached latents. */
  public boolean hasLatents() {
    return hasColumn(HfDataset.VIDEO_LATENT_STATES);
  }

  /** The row's {@code video_file}. */
  public String videoFile(long row) {
    Located at = locate(row);
    FieldVector v = at.root.getVector(HfDataset.VIDEO_FILE);
    byte[] b =
        v instanceof BaseVariableWidthVector w
            ? w.get(at.index)
            : ((BaseLargeVariableWidthVector) v).get(at.index);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** The row's text states: float32 {@code [S, D]} (or pooled {@code [D]}); caller owns. */
  public Tensor textStates(long row) {
    return cell(HfDataset.TEXT_LATENT_STATES, row);
  }

  /**
   * The row's cached latent in its stored dtype ({@code [C, T', H', W']} float, or int32 codes
   * {@code [T', H', W']}); caller owns.
   */
  public Tensor latent(long row) {
    return cell(HfDataset.VIDEO_LATENT_STATES, row);
  }

  /** The shape of a list cell without copying its numbers. */
  public long[] cellShape(String column, long row) {
    Located at = locate(row);
    return walk(at.root.getVector(column), at.index, column, row).shape;
  }

  /**
   * The decoded video's {@code [T, H, W]} recorded at preprocessing, or null when the column is
   * absent.
   */
  public int[] videoSize(long row) {
    if (!hasColumn(HfDataset.VIDEO_SIZE)) {
      return null;
    }
    try (Tensor t = cell(HfDataset.VIDEO_SIZE, row)) {
      long[] v = Tensors.toLongs(t);
      return new int[] {(int) v[0], (int) v[1], (int) v[2]};
    }
  }

  /** Copies a list cell of {@code column} into a new tensor (one memory copy); caller owns. */
  public Tensor cell(String column, long row) {
    Natives.load();
    Located at = locate(row);
    FieldVector v = at.root.getVector(column);
    if (v == null) {
      throw new IllegalArgumentException(
          dir
              + ": no column "
              + column
              + " (columns: "
              + schema.getFields().stream().map(f -> f.getName()).toList()
              + ")");
    }
    Walk w = walk(v, at.index, column, row);
    try (PointerScope scope = new PointerScope()) {
      Pointer p =
          new Pointer() {
            {
              address = w.address;
            }
          };
      return Tensors.fromBlob(p, w.dtype, w.shape)
          .retainReference(); // outlives this scope: caller owns
    }
  }

  private record Walk(long[] shape, long address, DType dtype) {}

  private Walk walk(FieldVector v, int index, String column, long row) {
    List<Long> shape = new ArrayList<>();
    long a = index;
    long b = index + 1;
    FieldVector cur = v;
    boolean top = true;
    while (cur instanceof ListVector
        || cur instanceof LargeListVector
        || cur instanceof FixedSizeListVector) {
      long s = offset(cur, a);
      long e = offset(cur, b);
      long lists = b - a;
      long per = lists == 0 ? 0 : offset(cur, a + 1) - s;
      if (per * lists != e - s) {
        throw new IllegalStateException(
            dir + ": " + column + " of row " + row + " is ragged (not a rectangular array)");
      }
      if (top) {
        shape.add(e - s);
        top = false;
      } else {
        shape.add(per);
      }
      a = s;
      b = e;
      cur =
          cur instanceof ListVector l
              ? (FieldVector) l.getDataVector()
              : cur instanceof FixedSizeListVector f
                  ? (FieldVector) f.getDataVector()
                  : (FieldVector) ((LargeListVector) cur).getDataVector();
    }
    DType dtype;
    if (cur instanceof Float4Vector) {
      dtype = DType.F32;
    } else if (cur instanceof Float2Vector) {
      dtype = DType.F16;
    } else if (cur instanceof Float8Vector) {
      dtype = DType.F64;
    } else if (cur instanceof IntVector) {
      dtype = DType.I32;
    } else if (cur instanceof SmallIntVector) {
      dtype = DType.I16;
    } else if (cur instanceof BigIntVector) {
      dtype = DType.I64;
    } else {
      throw new IllegalStateException(
          dir + ": " + column + " holds " + cur.getField().getType() + ", not numbers");
    }
    long address =
        ((BaseFixedWidthVector) cur).getDataBuffer().memoryAddress() + a * dtype.byteSize();
    long[] sh = new long[shape.size()];
    for (int i = 0; i < sh.length; i++) {
      sh[i] = shape.get(i);
    }
    return new Walk(sh, address, dtype);
  }

  private static long offset(FieldVector list, long i) {
    if (list instanceof ListVector l) {
      return l.getOffsetBuffer().getInt(i * 4);
    }
    if (list instanceof FixedSizeListVector f) {
      return i * f.getListSize(); // datasets' Sequence(length=N)
    }
    return ((LargeListVector) list).getOffsetBuffer().getLong(i * 8);
  }

  private record Located(VectorSchemaRoot root, int index) {}

  private Located locate(long row) {
    if (row < 0 || row >= rows) {
      throw new IndexOutOfBoundsException(dir + ": row " + row + " of " + rows);
    }
    int b = Arrays.binarySearch(starts, row);
    int batch = b >= 0 ? b : -b - 2;
    while (batch + 1 < starts.length && starts[batch + 1] <= row) {
      batch++; // skip empty batches
    }
    return new Located(root(batch), (int) (row - starts[batch]));
  }

  private VectorSchemaRoot root(int i) {
    VectorSchemaRoot r = loaded.get(i);
    if (r != null) {
      return r;
    }
    synchronized (loaded) {
      if (loaded.get(i) == null) {
        loaded.set(i, load(batches.get(i)));
      }
      return loaded.get(i);
    }
  }

  /** Maps a record batch's body and loads it into vectors that point into the mapping. */
  private VectorSchemaRoot load(Batch b) {
    try {
      ArrowBuf body;
      if (b.bodyLength() == 0) {
        body = allocator.getEmpty();
      } else {
        MappedByteBuffer map =
            channels
                .get(b.shard())
                .map(FileChannel.MapMode.READ_ONLY, b.bodyOffset(), b.bodyLength());
        long address = MemoryUtil.getByteBufferAddress(map);
        body =
            allocator.wrapForeignAllocation(
                new ForeignAllocation(b.bodyLength(), address) {
                  private final MappedByteBuffer keep =
                      map; // the mapping lives as long as the buffer

                  @Override
                  protected void release0() {
                    keep.hashCode();
                  }
                });
      }
      VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
      // the record batch takes over the body's reference; the vectors keep slices of it
      try (ArrowRecordBatch rb = MessageSerializer.deserializeRecordBatch(b.header(), body)) {
        new VectorLoader(root).load(rb);
      }
      return root;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(
          dir + ": cannot read a record batch of shard " + b.shard(), e);
    }
  }

  @Override
  public void close() {
    if (loaded != null) {
      for (int i = 0; i < loaded.length(); i++) {
        if (loaded.get(i) != null) {
          loaded.get(i).close();
        }
      }
    }
    for (FileChannel ch : channels) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // read-only
      }
    }
    allocator.close();
  }
}
