package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.HubCache;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spec resolution: directories, the local Hugging Face cache layout, the built-in encoder. */
class TextEncodersTest {
  /** A Hugging Face cache entry models--ORG--NAME with one snapshot holding a built-in encoder. */
  static Path fakeCache(Path hub, String repo, String commit, boolean writeRef) throws IOException {
    Path model = hub.resolve("models--" + repo.replace("/", "--"));
    Path snapshot = model.resolve("snapshots").resolve(commit);
    BuiltinTextEncoder.create(snapshot, BuiltinTextEncoderTest.CAPTIONS, 5);
    if (writeRef) {
      Files.createDirectories(model.resolve("refs"));
      Files.writeString(model.resolve("refs").resolve("main"), commit);
    }
    return snapshot;
  }

  /** Resolves {@code spec} in the cache the environment {@code env} and home {@code home} give. */
  static TextEncoders.Resolved resolve(String spec, Map<String, String> env, Path home)
      throws IOException {
    return TextEncoders.resolve(spec, HubCache.fromEnvironment(env, home), home);
  }

  @Test
  void findsAModelIdInTheHubCacheThroughRefsMain(@TempDir Path tmp) throws IOException {
    Path snapshot = fakeCache(tmp.resolve("hf").resolve("hub"), "acme/tiny-clip", "0123abcd", true);
    Files.createDirectories(
        snapshot.getParent().resolve("ffff0000")); // an older snapshot beside it
    Map<String, String> env = Map.of("HF_HOME", tmp.resolve("hf").toString());
    TextEncoders.Resolved r = resolve("acme/tiny-clip", env, tmp.resolve("home"));
    assertEquals(snapshot.toAbsolutePath().normalize(), r.directory().toAbsolutePath().normalize());
    assertEquals("acme/tiny-clip", r.id());
    // an explicit revision names a snapshot directly
    TextEncoders.Resolved old = resolve("acme/tiny-clip@ffff0000", env, tmp.resolve("home"));
    assertEquals("ffff0000", old.directory().getFileName().toString());
    // and the encoder loads from there
    try (Device cpu = Devices.cpu();
        ClipTextEncoder enc = ClipTextEncoder.open(r.directory(), r.id(), cpu);
        TextEmbeddings e = enc.encode(List.of("a red ball"))) {
      assertEquals("acme/tiny-clip", enc.id());
      assertEquals(64, Shapes.of(e.pooled())[1]);
    }
  }

  @Test
  void cacheOrderFollowsTheHubLibrariesAndHomeIsTheLastResort(@TempDir Path tmp)
      throws IOException {
    Path home = tmp.resolve("home");
    Path snapshot = fakeCache(home.resolve(".cache/huggingface/hub"), "org/model", "c0ffee", false);
    Map<String, String> env =
        Map.of(
            "HF_HUB_CACHE",
            tmp.resolve("elsewhere").toString(),
            "XDG_CACHE_HOME",
            tmp.resolve("xdg").toString());
    assertEquals(
        List.of(
            tmp.resolve("elsewhere"),
            tmp.resolve("xdg/huggingface/hub"),
            home.resolve(".cache/huggingface/hub")),
        HubCache.fromEnvironment(env, home).roots());
    // no refs/main, a single snapshot: that one
    assertEquals(snapshot, resolve("org/model", env, home).directory());
  }

  @Test
  void aMissingModelListsEveryPlaceLookedAt(@TempDir Path tmp) throws IOException {
    Path hub = tmp.resolve("hub");
    Path model = hub.resolve("models--org--broken");
    Files.createDirectories(model.resolve("refs"));
    Files.writeString(model.resolve("refs/main"), "deadbeef");
    Map<String, String> env = Map.of("HF_HUB_CACHE", hub.toString());
    IOException e = assertThrows(IOException.class, () -> resolve("org/missing", env, tmp));
    assertTrue(
        e.getMessage().contains(hub.resolve("models--org--missing") + " (absent)"), e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(tmp.resolve(".cache/huggingface/hub/models--org--missing").toString()),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("org/missing (no such directory)")
            || e.getMessage().contains("missing (no such directory)"),
        e.getMessage());
    IOException broken = assertThrows(IOException.class, () -> resolve("org/broken", env, tmp));
    assertTrue(
        broken.getMessage().contains("refs/main names it, but it is absent"), broken.getMessage());
  }

  @Test
  void directoriesAndBuiltinSpecs(@TempDir Path tmp) throws IOException {
    Path dir =
        BuiltinTextEncoder.create(
            tmp.resolve("ds/text_encoder"), BuiltinTextEncoderTest.CAPTIONS, 1);
    String abs = dir.toAbsolutePath().normalize().toString();
    assertEquals("builtin:" + abs, resolve(dir.toString(), Map.of(), tmp).id());
    assertEquals("builtin:" + abs, resolve("builtin:" + dir, Map.of(), tmp).id());
    Path golden = Golden.resource("golden/clip/tiny_text_gelu");
    assertEquals(
        golden.toAbsolutePath().normalize().toString(),
        resolve(golden.toString(), Map.of(), tmp).id());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> resolve("builtin", Map.of(), tmp));
    assertTrue(e.getMessage().contains("captions"), e.getMessage());
    assertThrows(IOException.class, () -> resolve("builtin:" + tmp.resolve("nope"), Map.of(), tmp));
  }

  @Test
  void aDirectoryWithoutWeightsOrTokenizerSaysWhatIsMissing(@TempDir Path tmp) throws IOException {
    Path golden =
        Golden.resource("golden/clip/tiny_text_gelu"); // config and weights, no tokenizer.json
    try (Device cpu = Devices.cpu()) {
      IOException noTok =
          assertThrows(IOException.class, () -> ClipTextEncoder.open(golden, "x", cpu));
      assertTrue(noTok.getMessage().contains("tokenizer.json"), noTok.getMessage());
      Files.copy(golden.resolve("config.json"), tmp.resolve("config.json"));
      IOException noWeights =
          assertThrows(IOException.class, () -> ClipTextEncoder.open(tmp, "x", cpu));
      assertTrue(
          noWeights.getMessage().contains("model.safetensors")
              && noWeights.getMessage().contains("config.json"),
          noWeights.getMessage());
    }
  }

  @Test
  void datasetPreparationCreatesTheBuiltinEncoderInTheDataset(@TempDir Path tmp)
      throws IOException {
    try (Device cpu = Devices.cpu();
        TextEncoder enc =
            TextEncoders.loadForDataset("builtin", tmp, BuiltinTextEncoderTest.CAPTIONS, 4, cpu)) {
      Path dir = tmp.resolve(TextEncoders.DATASET_ENCODER_DIR);
      assertTrue(BuiltinTextEncoder.isBuiltin(dir));
      assertEquals("builtin:" + dir.toAbsolutePath().normalize(), enc.id());
      // what the dataset records loads the same encoder back
      try (TextEncoder again = TextEncoders.load(enc.id(), cpu);
          TextEmbeddings a = enc.encode(List.of("a red ball"));
          TextEmbeddings b = again.encode(List.of("a red ball"))) {
        assertEquals(0.0, Golden.maxAbsDiff(a.pooled(), b.pooled()));
      }
    }
  }
}
