package io.jsora.model.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captions to token ids through a Hugging Face {@code tokenizer.json} (normaliser, pre-tokenizer,
 * model and post-processor exactly as the file defines them), run by the Hugging Face tokenizers
 * library through its DJL binding. Works for CLIP's byte-level BPE and for the built-in encoder's
 * word-level vocabulary alike.
 *
 * <p>Offline: the tokenizers native library ships inside the DJL jar and is extracted to DJL's
 * cache directory ({@code DJL_CACHE_DIR}, default {@code ~/.djl.ai}, or the temporary directory
 * when the home directory is not writable) on first use; nothing is downloaded. Before the first
 * tokenizer is made this class sets the system properties {@code ai.djl.offline=true} (never
 * download a native library or a tokenizer), {@code OPT_OUT_TRACKING=true} (DJL's usage reporting,
 * which may otherwise query a cloud metadata address) and {@code RUST_FLAVOR=cpu} (the library's
 * CPU build, the one in the jar, without probing for CUDA), unless the user set them.
 *
 * <p>Captions longer than the model's positions are truncated to fit, keeping the end-of-text token
 * (the tokenizer's own truncation, as upstream's {@code truncation=True}), with one warning per
 * caption. Thread-safe.
 */
public final class ClipTokenizer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClipTokenizer.class);
  private static final int MAX_WARNED = 10_000;

  static {
    offlineDefaults();
  }

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long padId;
  private final Path source;
  private final Set<String> warned = Collections.synchronizedSet(new LinkedHashSet<>());

  /** How a batch is padded. */
  public enum Padding {
    /** To the longest caption of the batch. */
    LONGEST,
    /** To the model's maximum length (77 for CLIP), as upstream's {@code padding="max_length"}. */
    MAX_LENGTH
  }

  /**
   * A tokenized batch.
   *
   * @param ids {@code [B][L]} token ids, padded with the pad id
   * @param mask {@code [B][L]} 1 for real tokens, 0 for padding
   * @param lengths real tokens per caption, special tokens included
   * @param truncated indices of the captions that were cut to fit
   */
  public record Tokens(long[][] ids, long[][] mask, int[] lengths, List<Integer> truncated) {
    public int batch() {
      return ids.length;
    }

    /** L, the padded length. */
    public int length() {
      return ids.length == 0 ? 0 : ids[0].length;
    }

    /** The ids in row-major order, for a {@code [B, L]} tensor. */
    public long[] flatIds() {
      return flat(ids);
    }

    /** The mask in row-major order, for a {@code [B, L]} tensor. */
    public long[] flatMask() {
      return flat(mask);
    }

    private static long[] flat(long[][] rows) {
      int l = rows.length == 0 ? 0 : rows[0].length;
      long[] out = new long[rows.length * l];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(rows[i], 0, out, i * l, l);
      }
      return out;
    }
  }

  private ClipTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long padId, Path source) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.padId = padId;
    this.source = source;
  }

  /** Sets DJL's offline properties unless already set; see the class documentation. */
  static void offlineDefaults() {
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("OPT_OUT_TRACKING") == null
        && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    if (System.getProperty("RUST_FLAVOR") == null && System.getenv("RUST_FLAVOR") == null) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
  }

  /**
   * Loads {@code tokenizer.json} (a file, or a directory holding one).
   *
   * @param maxLength the longest sequence the model takes, special tokens included
   * @param fallbackPadId the pad id when neither {@code tokenizer.json}'s padding section nor a
   *     {@code special_tokens_map.json}/{@code tokenizer_config.json} beside it names a pad token
   */
  public static ClipTokenizer load(Path path, int maxLength, long fallbackPadId)
      throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          file + ": no tokenizer.json (the Hugging Face tokenizers file is required)");
    }
    if (maxLength < 2) {
      throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
    }
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    long padId = padId(json, file.getParent(), fallbackPadId);
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("truncation", "true");
    options.put("maxLength", Integer.toString(maxLength));
    options.put("modelMaxLength", Integer.toString(maxLength));
    options.put("padding", "false");
    HuggingFaceTokenizer t;
    try {
      t = HuggingFaceTokenizer.newInstance(file, options);
    } catch (RuntimeException e) {
      throw new IOException(
          file + ": the tokenizers library could not load it: " + e.getMessage(), e);
    }
    return new ClipTokenizer(t, maxLength, padId, file);
  }

  /**
   * The pad id: {@code tokenizer.json}'s padding section, else the {@code pad_token} of {@code
   * special_tokens_map.json} or {@code tokenizer_config.json} looked up in the vocabulary, else
   * {@code fallback}.
   */
  static long padId(JsonNode json, Path dir, long fallback) throws IOException {
    JsonNode padding = json.get("padding");
    if (padding != null && padding.isObject() && padding.has("pad_id")) {
      return padding.get("pad_id").asLong();
    }
    Map<String, Long> vocab = vocabulary(json);
    for (String name : new String[] {"special_tokens_map.json", "tokenizer_config.json"}) {
      Path f = dir == null ? null : dir.resolve(name);
      if (f == null || !Files.isRegularFile(f)) {
        continue;
      }
      JsonNode pad = new ObjectMapper().readTree(f.toFile()).get("pad_token");
      String content =
          pad == null || pad.isNull()
              ? null
              : pad.isTextual() ? pad.asText() : pad.path("content").asText(null);
      if (content != null) {
        Long id = vocab.get(content);
        if (id == null) {
          throw new IOException(
              f + ": pad_token '" + content + "' is not in the vocabulary of tokenizer.json");
        }
        return id;
      }
    }
    return fallback;
  }

  /** Token to id over the model vocabulary and the added tokens of a {@code tokenizer.json}. */
  static Map<String, Long> vocabulary(JsonNode json) {
    Map<String, Long> vocab = new HashMap<>();
    JsonNode v = json.path("model").path("vocab");
    if (v.isObject()) {
      v.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asLong()));
    } else if (v.isArray()) { // Unigram: [[piece, score], ...]
      for (int i = 0; i < v.size(); i++) {
        vocab.put(v.get(i).path(0).asText(), (long) i);
      }
    }
    for (JsonNode t : json.path("added_tokens")) {
      vocab.put(t.path("content").asText(), t.path("id").asLong());
    }
    return vocab;
  }

  /** Tokenizes {@code captions}, padded to the longest one. */
  public Tokens encode(List<String> captions) {
    return encode(captions, Padding.LONGEST);
  }

  /** Tokenizes {@code captions} with special tokens, truncating to {@link #maxLength()}. */
  public Tokens encode(List<String> captions, Padding padding) {
    for (int i = 0; i < captions.size(); i++) {
      if (captions.get(i) == null) {
        throw new IllegalArgumentException("caption " + i + " is null");
      }
    }
    if (captions.isEmpty()) {
      return new Tokens(new long[0][0], new long[0][0], new int[0], List.of());
    }
    Encoding[] enc = tokenizer.batchEncode(captions);
    int b = enc.length;
    int[] lengths = new int[b];
    List<Integer> truncated = new ArrayList<>();
    int longest = 0;
    for (int i = 0; i < b; i++) {
      lengths[i] = enc[i].getIds().length;
      longest = Math.max(longest, lengths[i]);
      if (enc[i].exceedMaxLength()) {
        truncated.add(i);
        warnTruncated(captions.get(i));
      }
    }
    int l = padding == Padding.MAX_LENGTH ? maxLength : longest;
    long[][] ids = new long[b][l];
    long[][] mask = new long[b][l];
    for (int i = 0; i < b; i++) {
      long[] row = enc[i].getIds();
      java.util.Arrays.fill(ids[i], padId);
      System.arraycopy(row, 0, ids[i], 0, row.length);
      java.util.Arrays.fill(mask[i], 0, row.length, 1L);
    }
    return new Tokens(ids, mask, lengths, List.copyOf(truncated));
  }

  private void warnTruncated(String caption) {
    if (warned.size() < MAX_WARNED && warned.add(caption)) {
      String shown = caption.length() > 200 ? caption.substring(0, 200) + "..." : caption;
      log.warn(
          "caption longer than {} tokens, truncated (the end-of-text token is kept): \"{}\"",
          maxLength,
          shown);
    }
  }

  /** The token strings of one caption, special tokens included (for inspection and tests). */
  public List<String> tokens(String caption) {
    return List.of(tokenizer.encode(caption).getTokens());
  }

  /** The longest sequence, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /** The id that fills padded positions. */
  public long padId() {
    return padId;
  }

  /** The {@code tokenizer.json} this was loaded from. */
  public Path source() {
    return source;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
