package io.jsora.data;

import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * Appends record batches to one Arrow IPC stream file, building each column's buffers directly:
 * list offsets from the row shapes, and the numbers with one memory copy per row from tensor
 * memory. The file can be reopened at a committed length to continue (see {@link Preprocessor});
 * {@link #finish} writes the end-of-stream marker.
 */
final class ArrowShardWriter implements AutoCloseable {
  /** One cell: a nested list of numbers of some shape, or a string. */
  interface Cell {
    /** Sizes per nesting level ({@code []} for strings). */
    long[] shape();

    /** Bytes of the leaf data. */
    long bytes();

    /** Copies the leaf data to {@code buf} at {@code offset}. */
    void copyTo(ArrowBuf buf, long offset);

    /**
     * A contiguous CPU tensor whose dtype is the column's leaf type; the writer does not own it.
     */
    static Cell of(Tensor t) {
      long[] shape = Shapes.of(t);
      long bytes = t.nbytes();
      return new Cell() {
        public long[] shape() {
          return shape;
        }

        public long bytes() {
          return bytes;
        }

        public void copyTo(ArrowBuf buf, long offset) {
          if (bytes > 0) {
            try (BytePointer p = new BytePointer(t.data_ptr())) {
              ByteBuffer src = p.capacity(bytes).limit(bytes).asBuffer();
              buf.setBytes(offset, src);
            }
          }
        }
      };
    }

    /** A one-level list of int32. */
    static Cell ints(int... values) {
      return new Cell() {
        public long[] shape() {
          return new long[] {values.length};
        }

        public long bytes() {
          return 4L * values.length;
        }

        public void copyTo(ArrowBuf buf, long offset) {
          for (int i = 0; i < values.length; i++) {
            buf.setInt(offset + 4L * i, values[i]);
          }
        }
      };
    }

    /** A UTF-8 string. */
    static Cell text(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return new Cell() {
        public long[] shape() {
          return new long[0];
        }

        public long bytes() {
          return b.length;
        }

        public void copyTo(ArrowBuf buf, long offset) {
          buf.setBytes(offset, b);
        }
      };
    }
  }

  private final Path file;
  private final List<HfDataset.Column> columns;
  private final Schema schema;
  private final BufferAllocator allocator = new RootAllocator();
  private final FileChannel channel;
  private final WriteChannel out;

  /**
   * Opens {@code file}: a new stream (schema written) when {@code keepBytes < 0}, else the existing
   * file cut back to {@code keepBytes} (what was committed) to continue after it.
   */
  ArrowShardWriter(Path file, List<HfDataset.Column> columns, long keepBytes) throws IOException {
    this.file = file;
    this.columns = columns;
    this.schema = HfDataset.schema(columns);
    if (keepBytes < 0) {
      channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
      out = new WriteChannel(channel);
      MessageSerializer.serialize(out, schema);
    } else {
      channel = FileChannel.open(file, StandardOpenOption.WRITE);
      if (channel.size() < keepBytes) {
        channel.close();
        throw new IOException(
            file
                + ": "
                + channel.size()
                + " bytes, but the journal committed "
                + keepBytes
                + "; the partial shard is damaged (delete the output to start again)");
      }
      channel.truncate(keepBytes);
      channel.position(keepBytes);
      out = new WriteChannel(channel);
    }
  }

  /** The stream's length so far. */
  long position() throws IOException {
    return channel.position();
  }

  /**
   * Writes one record batch; {@code rows.get(r).get(c)} is row r's cell for column c. Forces the
   * bytes to disk before returning.
   *
   * @return the file length after the batch
   */
  long write(List<List<Cell>> rows) throws IOException {
    int n = rows.size();
    List<ArrowFieldNode> nodes = new ArrayList<>();
    List<ArrowBuf> buffers = new ArrayList<>();
    try {
      for (int c = 0; c < columns.size(); c++) {
        int col = c;
        List<Cell> cells = new ArrayList<>(n);
        for (List<Cell> row : rows) {
          cells.add(row.get(col));
        }
        HfDataset.Column spec = columns.get(c);
        if (spec.depth() == 0) {
          strings(cells, nodes, buffers);
        } else {
          lists(cells, spec, nodes, buffers);
        }
      }
      try (ArrowRecordBatch batch = new ArrowRecordBatch(n, nodes, buffers)) {
        MessageSerializer.serialize(out, batch);
      }
    } finally {
      for (ArrowBuf b : buffers) {
        b.close();
      }
    }
    channel.force(false);
    return channel.position();
  }

  private void strings(List<Cell> cells, List<ArrowFieldNode> nodes, List<ArrowBuf> buffers) {
    int n = cells.size();
    long total = 0;
    for (Cell c : cells) {
      total += c.bytes();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a record batch of strings may not exceed 2 GiB");
    }
    nodes.add(new ArrowFieldNode(n, 0));
    buffers.add(validity(n));
    ArrowBuf offsets = buf(4L * (n + 1));
    ArrowBuf data = buf(total);
    long at = 0;
    offsets.setInt(0, 0);
    for (int i = 0; i < n; i++) {
      cells.get(i).copyTo(data, at);
      at += cells.get(i).bytes();
      offsets.setInt(4L * (i + 1), (int) at);
    }
    buffers.add(offsets);
    buffers.add(data);
  }

  private void lists(
      List<Cell> cells, HfDataset.Column spec, List<ArrowFieldNode> nodes, List<ArrowBuf> buffers) {
    int depth = spec.depth();
    for (Cell c : cells) {
      if (c.shape().length != depth) {
        throw new IllegalArgumentException(
            spec.name() + ": expected " + depth + " dimensions, found " + Shapes.format(c.shape()));
      }
    }
    // entries at level k: sum over rows of prod(shape[0..k-1]); level 0 has one entry per row
    long entries = cells.size();
    for (int k = 0; k < depth; k++) {
      nodes.add(new ArrowFieldNode(entries, 0));
      buffers.add(validity(entries));
      ArrowBuf offsets = buf(4L * (entries + 1));
      long idx = 0;
      long at = 0;
      offsets.setInt(0, 0);
      long next = 0;
      for (Cell c : cells) {
        long[] s = c.shape();
        long repeat = 1;
        for (int j = 0; j < k; j++) {
          repeat *= s[j];
        }
        for (long r = 0; r < repeat; r++) {
          at += s[k];
          if (at > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                spec.name() + ": a record batch may not hold more than 2^31 values per level");
          }
          offsets.setInt(4L * (++idx), (int) at);
        }
        next += repeat * s[k];
      }
      buffers.add(offsets);
      entries = next;
    }
    int width =
        switch (spec.dtype()) {
          case "float16", "int16" -> 2;
          case "float32", "int32" -> 4;
          default -> 8;
        };
    nodes.add(new ArrowFieldNode(entries, 0));
    buffers.add(validity(entries));
    ArrowBuf data = buf(entries * width);
    long at = 0;
    for (Cell c : cells) {
      long expected = Shapes.numel(c.shape()) * width;
      if (c.bytes() != expected) {
        throw new IllegalArgumentException(
            spec.name()
                + ": "
                + c.bytes()
                + " bytes for shape "
                + Shapes.format(c.shape())
                + ", expected "
                + expected
                + " ("
                + spec.dtype()
                + ")");
      }
      c.copyTo(data, at);
      at += c.bytes();
    }
    buffers.add(data);
  }

  private ArrowBuf validity(long n) {
    long bytes = (n + 7) / 8;
    ArrowBuf b = buf(bytes);
    b.setOne(0, bytes);
    return b;
  }

  private ArrowBuf buf(long bytes) {
    ArrowBuf b = allocator.buffer(Math.max(bytes, 1));
    b.writerIndex(bytes);
    return b;
  }

  /** Writes the end-of-stream marker and forces the file to disk. */
  void finish() throws IOException {
    out.write(new byte[] {-1, -1, -1, -1, 0, 0, 0, 0});
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      allocator.close();
    }
  }

  @Override
  public String toString() {
    return "ArrowShardWriter[" + file + "]";
  }
}
