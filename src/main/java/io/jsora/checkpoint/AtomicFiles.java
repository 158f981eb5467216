package io.jsora.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Atomic file replacement: write a temporary file beside the target, force it to disk, then rename
 * it over the target. A crash at any point leaves either the old file or the new one, never a mix.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes the body of a file through a channel. */
  @FunctionalInterface
  public interface Body {
    void write(FileChannel ch) throws IOException;
  }

  /** Writes {@code path} atomically with {@code body}. */
  public static void write(Path path, Body body) throws IOException {
    Path abs = path.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
    boolean done = false;
    try {
      readableByAll(tmp);
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        body.write(ch);
        ch.force(true);
      }
      moveAtomically(tmp, abs);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Temporary files are created owner-only (0600); a written file is an ordinary 0644 one. */
  private static void readableByAll(Path p) throws IOException {
    try {
      Files.setPosixFilePermissions(
          p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep its defaults
    }
  }

  /** Writes a UTF-8 text file atomically. */
  public static void writeString(Path path, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(path, ch -> SafetensorsWriter.writeFully(ch, java.nio.ByteBuffer.wrap(bytes)));
  }

  /** Renames {@code from} to {@code to}, atomically where the file system allows. */
  public static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Deletes {@code dir} and everything under it; nothing when it does not exist. Symbolic links are
   * deleted, not followed.
   */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(
              Path file, java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(file);
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException exc)
              throws IOException {
            if (exc != null) {
              throw exc;
            }
            Files.deleteIfExists(d);
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
  }
}
