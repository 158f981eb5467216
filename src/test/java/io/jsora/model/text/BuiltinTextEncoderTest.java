package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in offline encoder: files, determinism, and loading through the generic loader. */
class BuiltinTextEncoderTest {
  static final List<String> CAPTIONS =
      List.of(
          "a red ball bounces from left to right",
          "a blue square moves up",
          "two green circles orbit each other slowly",
          "a red square moves down",
          "the ball bounces");

  @Test
  void writesAHuggingFaceModelDirectoryDeterministically(@TempDir Path tmp) throws IOException {
    Path a = BuiltinTextEncoder.create(tmp.resolve("a"), CAPTIONS, 7);
    List<String> shuffled = new ArrayList<>(CAPTIONS);
    Collections.reverse(shuffled);
    Path b = BuiltinTextEncoder.create(tmp.resolve("b"), shuffled, 7);
    Path c = BuiltinTextEncoder.create(tmp.resolve("c"), CAPTIONS, 8);
    for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {
      assertTrue(Files.isRegularFile(a.resolve(f)), f);
      assertArrayEquals(
          Files.readAllBytes(a.resolve(f)),
          Files.readAllBytes(b.resolve(f)),
          f + " independent of caption order");
    }
    assertFalse(
        java.util.Arrays.equals(
            Files.readAllBytes(a.resolve("model.safetensors")),
            Files.readAllBytes(c.resolve("model.safetensors"))),
        "another seed, other weights");
    assertTrue(BuiltinTextEncoder.isBuiltin(a));
    ClipTextConfig cfg = ClipTextConfig.read(a);
    int words = BuiltinTextEncoder.vocabulary(CAPTIONS, BuiltinTextEncoder.MAX_WORDS).size();
    assertEquals(BuiltinTextEncoder.config(words + 4), cfg);
    assertEquals(3, cfg.eosTokenId());
    assertFalse(cfg.legacyPooling());
    // most frequent first, ties in code-point order
    assertEquals(
        List.of("a", "ball", "bounces", "moves", "red", "square"),
        BuiltinTextEncoder.vocabulary(CAPTIONS, 6));
  }

  @Test
  void loadsThroughTheGenericLoaderAndEncodesCausally(@TempDir Path tmp) throws IOException {
    Path dir = BuiltinTextEncoder.create(tmp.resolve("enc"), CAPTIONS, 3);
    List<String> batch =
        List.of(
            "a red ball bounces",
            "two green circles orbit each other slowly and a purple thing",
            "ball");
    try (Device cpu = Devices.cpu();
        TextEncoder enc = TextEncoders.load(dir.toString(), cpu)) {
      assertEquals(TextEncoders.BUILTIN_PREFIX + dir.toAbsolutePath().normalize(), enc.id());
      assertEquals(64, enc.hiddenSize());
      assertEquals(32, enc.maxLength());
      try (TextEmbeddings e = enc.encode(batch);
          PointerScope s = new PointerScope()) {
        long[] lengths = {6, 13, 3};
        assertArrayEquals(new long[] {3, 13, 64}, Shapes.of(e.hidden()));
        assertArrayEquals(new long[] {3, 13}, Shapes.of(e.mask()));
        assertArrayEquals(new long[] {3, 64}, Shapes.of(e.pooled()));
        assertArrayEquals(
            lengths,
            Tensors.toLongs(
                e.mask()
                    .sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())));
        for (int i = 0; i < 3; i++) {
          // pooled is the state at the end-of-text token, the last real one
          Tensor atEos = e.hidden().select(0, i).select(0, lengths[i] - 1);
          assertEquals(0.0, Golden.maxAbsDiff(atEos, e.pooled().select(0, i)), "row " + i);
        }
        // a caption's states do not depend on the batch it is padded in
        try (TextEmbeddings alone = enc.encode(List.of(batch.get(2)))) {
          Tensor inBatch = e.hidden().select(0, 2).narrow(0, 0, 3);
          assertTrue(Golden.maxAbsDiff(alone.hidden().select(0, 0), inBatch) < 1e-5);
          assertTrue(
              Golden.maxAbsDiff(alone.pooled().select(0, 0), e.pooled().select(0, 2)) < 1e-5);
        }
        // different captions, different features
        assertTrue(Golden.maxAbsDiff(e.pooled().select(0, 0), e.pooled().select(0, 2)) > 1e-2);
      }
    }
  }

  @Test
  void captionsLongerThanThePositionsAreTruncated(@TempDir Path tmp) throws IOException {
    Path dir = BuiltinTextEncoder.create(tmp, CAPTIONS, 3);
    String longCaption = String.join(" ", Collections.nCopies(20, "a red ball"));
    try (Device cpu = Devices.cpu();
        TextEncoder enc = TextEncoders.load(dir.toString(), cpu);
        TextEmbeddings e = enc.encode(List.of(longCaption, "ball"))) {
      assertArrayEquals(new long[] {2, 32, 64}, Shapes.of(e.hidden()));
    }
  }

  /**
   * The upstream libraries (tokenizers, {@code CLIPTextModel}) loaded a directory this class wrote
   * from {@link #CAPTIONS} with seed 11 and recorded ids and outputs ({@code golden/clip/builtin}).
   * jsora, writing the same directory again and reading it back, gets the same.
   */
  @Test
  void upstreamLibrariesReadTheSameDirectoryToTheSameNumbers(@TempDir Path tmp) throws IOException {
    Path golden = Golden.resource("golden/clip/builtin");
    List<String> captions = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(golden.resolve("captions.json").toFile())
        .get("captions")
        .forEach(n -> captions.add(n.asText()));
    Path dir = BuiltinTextEncoder.create(tmp, CAPTIONS, 11);
    try (Device cpu = Devices.cpu();
        ClipTextEncoder enc = (ClipTextEncoder) TextEncoders.load(dir.toString(), cpu);
        io.jsora.checkpoint.Weights.Loaded want =
            io.jsora.checkpoint.Weights.read(golden.resolve("expected.safetensors"));
        TextEmbeddings e = enc.encode(captions);
        PointerScope s = new PointerScope()) {
      ClipTokenizer.Tokens tok = enc.tokenizer().encode(captions);
      assertArrayEquals(Tensors.toLongs(want.tensors().get("input_ids")), tok.flatIds());
      assertArrayEquals(
          Tensors.toLongs(want.tensors().get("attention_mask")), Tensors.toLongs(e.mask()));
      assertTrue(Golden.maxAbsDiff(want.tensors().get("last_hidden_state"), e.hidden()) <= 1e-4);
      assertTrue(Golden.maxAbsDiff(want.tensors().get("pooler_output"), e.pooled()) <= 1e-4);
    }
  }

  @Test
  void longCaptionListsRunInMicroBatchesWithTheSameValues(@TempDir Path tmp) throws IOException {
    Path dir = BuiltinTextEncoder.create(tmp, CAPTIONS, 3);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 2 * ClipTextEncoder.MICRO_BATCH + 5; i++) {
      many.add(String.join(" ", Collections.nCopies(i % 7 + 1, CAPTIONS.get(i % CAPTIONS.size()))));
    }
    try (Device cpu = Devices.cpu();
        TextEncoder enc = TextEncoders.load(dir.toString(), cpu);
        TextEmbeddings all = enc.encode(many);
        PointerScope s = new PointerScope()) {
      assertEquals(many.size(), Shapes.of(all.hidden())[0]);
      for (int i : new int[] {0, ClipTextEncoder.MICRO_BATCH, many.size() - 1}) {
        try (TextEmbeddings one = enc.encode(List.of(many.get(i)))) {
          long len = Shapes.of(one.hidden())[1];
          assertTrue(
              Golden.maxAbsDiff(
                      one.hidden().select(0, 0), all.hidden().select(0, i).narrow(0, 0, len))
                  < 1e-5);
          assertTrue(Golden.maxAbsDiff(one.pooled(), all.pooled().narrow(0, i, 1)) < 1e-5);
        }
      }
    }
  }
}
