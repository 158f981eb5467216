package io.jsora.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void writesWholeFilesOnly() throws Exception {
    Path f = dir.resolve("a.json");
    AtomicFiles.writeString(f, "first");
    AtomicFiles.writeString(f, "second");
    assertEquals("second", Files.readString(f));
    try (var s = Files.list(dir)) {
      assertEquals(1, s.count(), "no temporary file left beside it");
    }
  }

  @Test
  void deleteTreeRemovesEverythingButDoesNotFollowLinks() throws Exception {
    Path outside = Files.writeString(dir.resolve("keep.txt"), "kept");
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("a/b"));
    Files.writeString(tree.resolve("a/b/c.bin"), "x");
    Files.writeString(tree.resolve("top.txt"), "y");
    Files.createSymbolicLink(tree.resolve("a/link"), outside);
    Files.createSymbolicLink(tree.resolve("dirlink"), dir);
    AtomicFiles.deleteTree(tree);
    assertFalse(Files.exists(tree));
    assertTrue(Files.exists(outside));
    assertEquals("kept", Files.readString(outside));
    AtomicFiles.deleteTree(tree); // absent: nothing to do
  }
}
