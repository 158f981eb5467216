package io.jsora.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Writes a copy of a torch.save archive behind an unreferenced stored entry of {@code padding} zero
 * bytes, as a ZIP64 archive: the copy's storages then sit past the 4 GiB offsets the released
 * multi-gigabyte shards have. The padding is a hole in a sparse file, so the test costs no disk.
 */
final class SparseZip64 {
  private SparseZip64() {}

  private record Entry(String name, long offset, long size, long crc) {}

  static void write(Path source, Path out, long padding) throws IOException {
    List<Entry> written = new ArrayList<>();
    try (ZipFile zip = new ZipFile(source.toFile());
        FileChannel ch =
            FileChannel.open(
                out,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      String prefix = TorchCheckpoint.archivePrefix(zip, source);
      // the padding first, its bytes a hole
      String padName = prefix + "padding";
      long padOffset = ch.position();
      ch.write(localHeader(padName, zerosCrc(padding), padding));
      ch.position(ch.position() + padding);
      written.add(new Entry(padName, padOffset, padding, zerosCrc(padding)));
      for (ZipEntry e : Collections.list(zip.entries())) {
        byte[] data;
        try (InputStream in = zip.getInputStream(e)) {
          data = in.readAllBytes();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        long offset = ch.position();
        ch.write(localHeader(e.getName(), crc.getValue(), data.length));
        ch.write(ByteBuffer.wrap(data));
        written.add(new Entry(e.getName(), offset, data.length, crc.getValue()));
      }
      long cdStart = ch.position();
      for (Entry e : written) {
        ch.write(centralHeader(e));
      }
      long cdEnd = ch.position();
      ch.write(end(written.size(), cdStart, cdEnd - cdStart, cdEnd));
    }
  }

  private static long zerosCrc(long n) {
    CRC32 crc = new CRC32();
    byte[] zeros = new byte[1 << 20];
    for (long left = n; left > 0; left -= zeros.length) {
      crc.update(zeros, 0, (int) Math.min(zeros.length, left));
    }
    return crc.getValue();
  }

  private static ByteBuffer buf(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer localHeader(String name, long crc, long size) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = buf(30 + n.length + 20);
    b.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0);
    b.putShort((short) 0).putShort((short) 0x21).putInt((int) crc); // time, date (1980-01-01)
    b.putInt(0xffffffff).putInt(0xffffffff); // sizes in the ZIP64 extra field
    b.putShort((short) n.length).putShort((short) 20).put(n);
    b.putShort((short) 1).putShort((short) 16).putLong(size).putLong(size);
    return b.flip();
  }

  private static ByteBuffer centralHeader(Entry e) {
    byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = buf(46 + n.length + 28);
    b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0);
    b.putShort((short) 0).putShort((short) 0).putShort((short) 0x21).putInt((int) e.crc());
    b.putInt(0xffffffff).putInt(0xffffffff);
    b.putShort((short) n.length).putShort((short) 28).putShort((short) 0); // name, extra, comment
    b.putShort((short) 0).putShort((short) 0).putInt(0).putInt(0xffffffff); // disk, attrs, offset
    b.put(n);
    b.putShort((short) 1).putShort((short) 24).putLong(e.size()).putLong(e.size());
    b.putLong(e.offset());
    return b.flip();
  }

  private static ByteBuffer end(int entries, long cdStart, long cdSize, long zip64End) {
    ByteBuffer b = buf(56 + 20 + 22);
    b.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45);
    b.putInt(0).putInt(0).putLong(entries).putLong(entries).putLong(cdSize).putLong(cdStart);
    b.putInt(0x07064b50).putInt(0).putLong(zip64End).putInt(1); // the ZIP64 end's locator
    b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0);
    b.putShort((short) 0xffff).putShort((short) 0xffff).putInt(0xffffffff).putInt(0xffffffff);
    b.putShort((short) 0);
    return b.flip();
  }
}
