package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer against ids from the Hugging Face tokenizers library (Python) on a hand-made BPE
 * {@code tokenizer.json} in CLIP's layout, and against a naive word lookup on the built-in
 * encoder's word-level one. The native library loads from the jar with no network.
 */
class ClipTokenizerTest {
  static final Path BPE = Golden.resource("golden/clip/bpe-tokenizer");

  static JsonNode expected() throws IOException {
    return new ObjectMapper().readTree(BPE.resolve("expected.json").toFile());
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }

  @Test
  void djlRunsOfflineFromTheJar() throws IOException {
    try (ClipTokenizer t = ClipTokenizer.load(BPE, 77, 0)) {
      assertEquals("true", System.getProperty("ai.djl.offline"));
      assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
      assertEquals(
          List.of(
              "<|startoftext|>",
              "a</w>",
              "photo</w>",
              "of</w>",
              "the</w>",
              "cat</w>",
              "<|endoftext|>"),
          t.tokens("A photo of the cat"));
    }
  }

  @Test
  void bpeIdsEqualTheReferenceLibraryUntruncated() throws IOException {
    JsonNode e = expected();
    List<String> captions = strings(e.get("captions"));
    try (ClipTokenizer t = ClipTokenizer.load(BPE, 77, 0)) {
      assertEquals(
          e.get("eos_token_id").asLong(), t.padId(), "pad token from special_tokens_map.json");
      ClipTokenizer.Tokens tok = t.encode(captions);
      assertEquals(List.of(), tok.truncated());
      int longest = 0;
      for (int i = 0; i < captions.size(); i++) {
        long[] want = longs(e.get("untruncated").get(i));
        longest = Math.max(longest, want.length);
        assertArrayEquals(want, Arrays.copyOf(tok.ids()[i], want.length), captions.get(i));
        assertEquals(want.length, tok.lengths()[i]);
      }
      assertEquals(longest, tok.length(), "padded to the longest caption");
      for (int i = 0; i < captions.size(); i++) {
        for (int j = 0; j < tok.length(); j++) {
          boolean real = j < tok.lengths()[i];
          assertEquals(real ? 1L : 0L, tok.mask()[i][j]);
          if (!real) {
            assertEquals(t.padId(), tok.ids()[i][j]);
          }
        }
      }
    }
  }

  @Test
  void longCaptionsAreTruncatedKeepingEndOfTextWithOneWarningEach() throws IOException {
    JsonNode e = expected();
    List<String> captions = strings(e.get("captions"));
    int max = e.get("max_length").asInt();
    Logger logger = (Logger) LoggerFactory.getLogger(ClipTokenizer.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try (ClipTokenizer t = ClipTokenizer.load(BPE, max, 0)) {
      ClipTokenizer.Tokens tok = t.encode(captions, ClipTokenizer.Padding.MAX_LENGTH);
      assertEquals(max, tok.length());
      assertEquals(List.of(2, 4), tok.truncated());
      for (int i = 0; i < captions.size(); i++) {
        long[] want = longs(e.get("truncated").get(i));
        assertArrayEquals(want, Arrays.copyOf(tok.ids()[i], want.length), captions.get(i));
      }
      assertEquals(e.get("eos_token_id").asLong(), tok.ids()[4][max - 1], "end-of-text kept");
      t.encode(captions); // the same captions again: no new warning
      assertEquals(2, logs.list.size(), "one warning per truncated caption");
      assertTrue(
          logs.list.get(0).getFormattedMessage().contains("Person cooking: 3 eggs"),
          logs.list.get(0).getFormattedMessage());
      assertEquals(ch.qos.logback.classic.Level.WARN, logs.list.get(0).getLevel());
    } finally {
      logger.detachAppender(logs);
    }
  }

  @Test
  void wordLevelTokenizerOfTheBuiltinEncoderMatchesANaiveLookup(@TempDir Path dir)
      throws IOException {
    List<String> corpus =
        List.of(
            "A red ball bounces.",
            "Two cats, playing!",
            "a RED square; moving left",
            "Café-style don't");
    BuiltinTextEncoder.create(dir, corpus, 1);
    Map<String, Integer> vocab = new java.util.HashMap<>();
    new ObjectMapper()
        .readTree(dir.resolve("tokenizer.json").toFile())
        .path("model")
        .path("vocab")
        .fields()
        .forEachRemaining(f -> vocab.put(f.getKey(), f.getValue().asInt()));
    // hand-written splits: lowercase, words and punctuation runs apart
    assertEquals(
        List.of("café", "-", "style", "don", "'", "t"),
        BuiltinTextEncoder.words("Café-style don't"));
    assertEquals(
        List.of("a", "red", "square", ";", "moving", "left"),
        BuiltinTextEncoder.words("a RED square; moving left"));
    List<String> queries = new ArrayList<>(corpus);
    queries.add("a purple ball, unseen words");
    try (ClipTokenizer t = ClipTokenizer.load(dir, 32, 99)) {
      assertEquals(BuiltinTextEncoder.PAD_ID, t.padId(), "pad id from tokenizer.json's padding");
      ClipTokenizer.Tokens tok = t.encode(queries);
      for (int i = 0; i < queries.size(); i++) {
        List<Long> want = new ArrayList<>();
        want.add((long) BuiltinTextEncoder.BOS_ID);
        for (String w : BuiltinTextEncoder.words(queries.get(i))) {
          want.add((long) vocab.getOrDefault(w, BuiltinTextEncoder.UNK_ID));
        }
        want.add((long) BuiltinTextEncoder.EOS_ID);
        long[] got = Arrays.copyOf(tok.ids()[i], tok.lengths()[i]);
        assertArrayEquals(want.stream().mapToLong(Long::longValue).toArray(), got, queries.get(i));
      }
      assertEquals(
          List.of(
              "<|startoftext|>",
              "a",
              "<|unk|>",
              "ball",
              ",",
              "<|unk|>",
              "<|unk|>",
              "<|endoftext|>"),
          t.tokens("a purple ball, unseen words"));
    }
  }

  @Test
  void missingOrBrokenTokenizerFilesAreNamed(@TempDir Path dir) throws IOException {
    IOException none = assertThrows(IOException.class, () -> ClipTokenizer.load(dir, 77, 0));
    assertTrue(none.getMessage().contains("tokenizer.json"), none.getMessage());
    Files.writeString(dir.resolve("tokenizer.json"), "{ not json");
    IOException bad = assertThrows(IOException.class, () -> ClipTokenizer.load(dir, 77, 0));
    assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());
  }
}
