package io.jsora.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Ids against Debian's python3-sentencepiece on a 200-piece unigram model made by spm_train
 * (tools/golden/t5.py), with T5's framing: {@code </s>}, truncation, right padding, sentinels.
 */
class T5TokenizerTest {
  static final Path SPIECE = Golden.T5.resolve("spiece");

  static JsonNode golden() throws Exception {
    return new ObjectMapper().readTree(SPIECE.resolve("tokens.json").toFile());
  }

  static long[] longs(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
  }

  @Test
  void piecesEqualSentencePiece() throws Exception {
    JsonNode g = golden();
    try (T5Tokenizer t = T5Tokenizer.load(SPIECE)) {
      assertEquals(g.get("piece_size").asInt(), t.pieceSize());
      assertEquals(g.get("piece_size").asInt() + 100, t.vocabSize());
      assertEquals(0, t.padId());
      assertEquals(1, t.eosId());
      for (JsonNode p : g.get("pieces")) {
        String text = p.get("text").asText();
        long[] got = java.util.Arrays.stream(t.encode(text)).asLongStream().toArray();
        assertArrayEquals(longs(p.get("ids")), got, text);
      }
    }
  }

  @Test
  void batchesEndWithEosAndArePaddedAndTruncatedAsT5() throws Exception {
    JsonNode g = golden();
    int maxLength = g.get("max_length").asInt();
    List<String> texts = new ArrayList<>();
    for (JsonNode f : g.get("framed")) {
      texts.add(f.get("text").asText());
    }
    try (T5Tokenizer t = T5Tokenizer.load(SPIECE.resolve(T5Tokenizer.SPIECE))) {
      T5Tokenizer.Tokens tok = t.batch(texts, maxLength);
      assertEquals(texts.size(), tok.batch());
      assertEquals(maxLength, tok.length());
      for (int b = 0; b < texts.size(); b++) {
        JsonNode f = g.get("framed").get(b);
        assertArrayEquals(longs(f.get("input_ids")), tok.ids()[b], texts.get(b));
        assertArrayEquals(longs(f.get("attention_mask")), tok.mask()[b], texts.get(b));
      }
      assertEquals(List.of(1, 2, 3, 5), tok.truncated());
    }
  }

  @Test
  void sentinelsAreSplitOutAndNumberedDownFromTheTop() throws Exception {
    JsonNode s = golden().get("sentinel");
    try (T5Tokenizer t = T5Tokenizer.load(SPIECE)) {
      T5Tokenizer.Tokens tok = t.batch(List.of(s.get("text").asText()), 20);
      long[] want = longs(s.get("input_ids"));
      assertArrayEquals(want, java.util.Arrays.copyOf(tok.ids()[0], want.length));
      assertEquals(t.pieceSize() + 99, t.sentinelId(0));
      assertEquals(t.pieceSize(), t.sentinelId(99));
      assertThrows(IllegalArgumentException.class, () -> t.sentinelId(100));
    }
  }
}
