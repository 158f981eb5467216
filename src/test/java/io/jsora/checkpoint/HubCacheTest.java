package io.jsora.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which snapshot a model id resolves to, and what an error says when there is none. */
class HubCacheTest {
  @TempDir Path tmp;

  private Path snapshot(Path hub, String repo, String commit, long mtimeSeconds)
      throws IOException {
    Path snap =
        hub.resolve("models--" + repo.replace("/", "--")).resolve("snapshots").resolve(commit);
    Files.createDirectories(snap);
    Files.setLastModifiedTime(snap, FileTime.fromMillis(mtimeSeconds * 1000));
    return snap;
  }

  @Test
  void refsMainWinsThenTheNewestSnapshot() throws IOException {
    Path hub = tmp.resolve("hub");
    Path older = snapshot(hub, "org/m", "aaaa", 1_000);
    Path newer = snapshot(hub, "org/m", "bbbb", 2_000);
    HubCache cache = HubCache.at(hub);
    assertEquals(newer, cache.find("org/m", new ArrayList<>()));
    Files.createDirectories(hub.resolve("models--org--m/refs"));
    Files.writeString(hub.resolve("models--org--m/refs/main"), "aaaa\n");
    assertEquals(older, cache.find("org/m", new ArrayList<>()));
    assertEquals(newer, cache.find("org/m@bbbb", new ArrayList<>()));
    List<String> looked = new ArrayList<>();
    assertNull(cache.find("org/m@v2", looked));
    assertEquals(
        List.of(hub.resolve("models--org--m") + " (no refs/v2; snapshots: aaaa, bbbb)"), looked);
  }

  @Test
  void laterRootsAreSearchedWhenEarlierOnesLackTheModel() throws IOException {
    Path second = snapshot(tmp.resolve("b"), "org/m", "cccc", 1_000);
    Files.createDirectories(tmp.resolve("a"));
    HubCache cache = new HubCache(List.of(tmp.resolve("a"), tmp.resolve("b")));
    List<String> looked = new ArrayList<>();
    assertEquals(second, cache.find("org/m", looked));
    assertEquals(List.of(tmp.resolve("a").resolve("models--org--m") + " (absent)"), looked);
    assertEquals(second, cache.resolve("org/m", "vqvae"));
    assertEquals(tmp.resolve("a"), cache.resolve(tmp.resolve("a").toString(), "vqvae"));
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> cache.resolve("org/none", "vae"));
    assertTrue(
        e.getMessage()
            .contains(
                "vae: not a local directory, and the Hugging Face cache has no snapshot of it (looked at "
                    + tmp.resolve("a").resolve("models--org--none")
                    + " (absent); "
                    + tmp.resolve("b").resolve("models--org--none")
                    + " (absent))"),
        e.getMessage());
    assertTrue(
        HubCache.isRepoId("org/m@main")
            && HubCache.isRepoId("gpt2")
            && !HubCache.isRepoId("./x")
            && !HubCache.isRepoId("a/b/c"));
  }
}
