package io.jsora.model.t5;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * T5's tokenizer: a SentencePiece unigram model ({@code spiece.model}) run by DJL's SentencePiece
 * binding, framed as Hugging Face's {@code T5Tokenizer} frames it:
 *
 * <ul>
 *   <li>the 100 sentinels {@code <extra_id_0>} … {@code <extra_id_99>} follow the pieces in
 *       reverse, {@code <extra_id_N>} = pieces + 99 − N (32099 … 32000 for T5), and are split out
 *       of the text before the pieces are encoded;
 *   <li>{@code </s>} (id 1) ends every caption; a caption longer than {@code maxLength} is cut to
 *       {@code maxLength − 1} pieces plus {@code </s>};
 *   <li>rows are padded on the right with {@code <pad>} (id 0) to {@code maxLength}, mask 0 there.
 * </ul>
 *
 * <p>Offline: the binding's native library ships inside its jar (linux-x86_64, linux-aarch64, macOS
 * arm64, Windows x86_64) and is extracted to DJL's cache directory on first use. Before the first
 * tokenizer is made this class sets {@code ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true}
 * unless the user set them. Thread-safe.
 */
public final class T5Tokenizer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(T5Tokenizer.class);

  /** The file name of the model inside a Hugging Face model directory. */
  public static final String SPIECE = "spiece.model";

  /** Sentinel tokens after the pieces. */
  public static final int EXTRA_IDS = 100;

  /** Open-Sora 1.2's {@code model_max_length} for T5. */
  public static final int OPEN_SORA_MAX_LENGTH = 300;

  private static final Pattern SENTINEL = Pattern.compile("<extra_id_(\\d{1,2})>");

  static {
    if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("OPT_OUT_TRACKING") == null
        && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  private final SpTokenizer tokenizer;
  private final SpProcessor processor;
  private final int pieceSize;
  private final int padId;
  private final int eosId;
  private final Path source;

  /**
   * A tokenized batch.
   *
   * @param ids {@code [B][L]} token ids, padded with {@code <pad>}
   * @param mask {@code [B][L]} 1 for real tokens ({@code </s>} included), 0 for padding
   * @param truncated indices of the captions that were cut to fit
   */
  public record Tokens(long[][] ids, long[][] mask, List<Integer> truncated) {
    public int batch() {
      return ids.length;
    }

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
      return Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray();
    }
  }

  private T5Tokenizer(SpTokenizer tokenizer, int pieceSize, Path source) {
    this.tokenizer = tokenizer;
    this.processor = tokenizer.getProcessor();
    this.pieceSize = pieceSize;
    this.source = source;
    this.padId = processor.getId("<pad>");
    this.eosId = processor.getId("</s>");
    if (padId != 0 || eosId != 1) {
      throw new IllegalArgumentException(
          source
              + ": not a T5 vocabulary: <pad> has id "
              + padId
              + " and </s> id "
              + eosId
              + "; expected 0 and 1");
    }
  }

  /** Loads {@code spiece.model} (a file, or a model directory holding one); caller closes it. */
  public static T5Tokenizer load(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve(SPIECE) : path;
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such SentencePiece model");
    }
    byte[] bytes = Files.readAllBytes(file);
    int pieces = countPieces(bytes, file);
    return new T5Tokenizer(new SpTokenizer(bytes), pieces, file);
  }

  /**
   * The number of pieces of a serialised SentencePiece {@code ModelProto}: its repeated field 1.
   * (The binding does not expose it, and T5 numbers its sentinels from it.)
   */
  static int countPieces(byte[] b, Path file) throws IOException {
    int pos = 0;
    int count = 0;
    while (pos < b.length) {
      long[] key = varint(b, pos, file);
      pos = (int) key[1];
      int field = (int) (key[0] >>> 3);
      int wire = (int) (key[0] & 7);
      if (wire == 2) {
        long[] len = varint(b, pos, file);
        pos = (int) (len[1] + len[0]);
        if (field == 1) {
          count++;
        }
      } else if (wire == 0) {
        pos = (int) varint(b, pos, file)[1];
      } else if (wire == 5) {
        pos += 4;
      } else if (wire == 1) {
        pos += 8;
      } else {
        throw new IOException(
            file
                + ": not a SentencePiece model (protobuf wire type "
                + wire
                + " at byte "
                + pos
                + ")");
      }
      if (pos > b.length) {
        throw new IOException(
            file + ": not a SentencePiece model (truncated at byte " + b.length + ")");
      }
    }
    if (count == 0) {
      throw new IOException(file + ": not a SentencePiece model (no pieces)");
    }
    return count;
  }

  /** {value, next position}. */
  private static long[] varint(byte[] b, int pos, Path file) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= b.length) {
        throw new IOException(file + ": not a SentencePiece model (truncated varint)");
      }
      byte x = b[pos++];
      v |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return new long[] {v, pos};
      }
    }
    throw new IOException(file + ": not a SentencePiece model (bad varint at byte " + pos + ")");
  }

  /** SentencePiece pieces in the model (32000 for T5). */
  public int pieceSize() {
    return pieceSize;
  }

  /** Ids the tokenizer can produce: pieces plus the 100 sentinels (32100 for T5). */
  public int vocabSize() {
    return pieceSize + EXTRA_IDS;
  }

  public int padId() {
    return padId;
  }

  public int eosId() {
    return eosId;
  }

  /** The id of {@code <extra_id_n>}. */
  public int sentinelId(int n) {
    if (n < 0 || n >= EXTRA_IDS) {
      throw new IllegalArgumentException(
          "sentinel <extra_id_" + n + "> outside 0.." + (EXTRA_IDS - 1));
    }
    return pieceSize + EXTRA_IDS - 1 - n;
  }

  /** Token ids of {@code text} without {@code </s>}: pieces, and sentinels where written. */
  public int[] encode(String text) {
    List<int[]> parts = new ArrayList<>();
    Matcher m = SENTINEL.matcher(text);
    int start = 0;
    while (m.find()) {
      parts.add(processor.encode(text.substring(start, m.start())));
      parts.add(new int[] {sentinelId(Integer.parseInt(m.group(1)))});
      start = m.end();
    }
    parts.add(processor.encode(text.substring(start)));
    return parts.stream().flatMapToInt(Arrays::stream).toArray();
  }

  /**
   * Tokenizes captions as upstream's {@code tokenizer(texts, max_length=maxLength,
   * padding="max_length", truncation=True, add_special_tokens=True)}.
   */
  public Tokens batch(List<String> captions, int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
    }
    long[][] ids = new long[captions.size()][maxLength];
    long[][] mask = new long[captions.size()][maxLength];
    List<Integer> truncated = new ArrayList<>();
    for (int b = 0; b < captions.size(); b++) {
      int[] pieces = encode(captions.get(b));
      int n = Math.min(pieces.length, maxLength - 1);
      if (n < pieces.length) {
        truncated.add(b);
        log.warn(
            "{}: caption {} has {} tokens; cut to {} plus </s>", source, b, pieces.length + 1, n);
      }
      Arrays.fill(ids[b], padId);
      for (int i = 0; i < n; i++) {
        ids[b][i] = pieces[i];
        mask[b][i] = 1;
      }
      ids[b][n] = eosId;
      mask[b][n] = 1;
    }
    return new Tokens(ids, mask, List.copyOf(truncated));
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
