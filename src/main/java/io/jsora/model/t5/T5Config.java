package io.jsora.model.t5;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The encoder half of a Hugging Face {@code T5Config}, bound to the field names of a T5 {@code
 * config.json}. A key that is absent takes the value Hugging Face's {@code T5Config()} gives it.
 * Published configs describe the whole encoder-decoder and carry keys the encoder never reads
 * ({@code architectures}, {@code num_decoder_layers}, {@code decoder_start_token_id}, ...): those
 * are listed in {@link #IGNORED} and skipped; any other key is an error naming it.
 *
 * @param vocabSize rows of the shared token embedding ({@code vocab_size}); 32128 for T5 v1.1, more
 *     than the 32000 SentencePiece pieces plus 100 sentinels, padded for TPU tiling
 * @param dModel D, the width of every hidden state ({@code d_model})
 * @param dKv width of one attention head ({@code d_kv}); T5 does not require heads · d_kv = D
 * @param dFf inner width of the feed-forward block ({@code d_ff})
 * @param numLayers encoder blocks ({@code num_layers})
 * @param numHeads attention heads ({@code num_heads})
 * @param relativeAttentionNumBuckets buckets of the relative-position bias, half per direction
 *     ({@code relative_attention_num_buckets})
 * @param relativeAttentionMaxDistance distance from which all positions share the last bucket
 *     ({@code relative_attention_max_distance})
 * @param dropoutRate dropout in training; inference ignores it ({@code dropout_rate})
 * @param layerNormEpsilon epsilon of every RMS norm ({@code layer_norm_epsilon})
 * @param feedForwardProj the feed-forward variant ({@code feed_forward_proj}); only T5 v1.1's
 *     {@code gated-gelu} is supported
 * @param padTokenId pad id ({@code pad_token_id}), 0 in every T5 vocabulary
 * @param eosTokenId end-of-sequence id {@code </s>} ({@code eos_token_id}), 1 in every T5
 *     vocabulary
 */
@JsonIgnoreProperties({
  "architectures",
  "_name_or_path",
  "model_type",
  "transformers_version",
  "torch_dtype",
  "is_encoder_decoder",
  "is_decoder",
  "decoder_start_token_id",
  "num_decoder_layers",
  "use_cache",
  "output_past",
  "tie_word_embeddings",
  "initializer_factor",
  "classifier_dropout",
  "gradient_checkpointing",
  "task_specific_params",
  "n_positions",
  "bos_token_id",
  "return_dict",
  "output_hidden_states",
  "output_attentions",
  "torchscript"
})
public record T5Config(
    @JsonProperty(T5Config.VOCAB_SIZE) int vocabSize,
    @JsonProperty(T5Config.D_MODEL) int dModel,
    @JsonProperty(T5Config.D_KV) int dKv,
    @JsonProperty(T5Config.D_FF) int dFf,
    @JsonProperty(T5Config.NUM_LAYERS) int numLayers,
    @JsonProperty(T5Config.NUM_HEADS) int numHeads,
    @JsonProperty(T5Config.NUM_BUCKETS) int relativeAttentionNumBuckets,
    @JsonProperty(T5Config.MAX_DISTANCE) int relativeAttentionMaxDistance,
    @JsonProperty(T5Config.DROPOUT_RATE) double dropoutRate,
    @JsonProperty(T5Config.LAYER_NORM_EPSILON) double layerNormEpsilon,
    @JsonProperty(T5Config.FEED_FORWARD_PROJ) String feedForwardProj,
    @JsonProperty(T5Config.PAD_TOKEN_ID) int padTokenId,
    @JsonProperty(T5Config.EOS_TOKEN_ID) int eosTokenId) {

  static final String VOCAB_SIZE = "vocab_size";
  static final String D_MODEL = "d_model";
  static final String D_KV = "d_kv";
  static final String D_FF = "d_ff";
  static final String NUM_LAYERS = "num_layers";
  static final String NUM_HEADS = "num_heads";
  static final String NUM_BUCKETS = "relative_attention_num_buckets";
  static final String MAX_DISTANCE = "relative_attention_max_distance";
  static final String DROPOUT_RATE = "dropout_rate";
  static final String LAYER_NORM_EPSILON = "layer_norm_epsilon";
  static final String FEED_FORWARD_PROJ = "feed_forward_proj";
  static final String PAD_TOKEN_ID = "pad_token_id";
  static final String EOS_TOKEN_ID = "eos_token_id";
  static final String DENSE_ACT_FN = "dense_act_fn";
  static final String IS_GATED_ACT = "is_gated_act";

  /** The one supported feed-forward variant: GELU(x·wi_0) ⊙ (x·wi_1), then wo (T5 v1.1). */
  public static final String GATED_GELU = "gated-gelu";

  /** The activation {@code gated-gelu} implies upstream: the tanh approximation of GELU. */
  public static final String GELU_NEW = "gelu_new";

  /** Keys of published T5 configs that the encoder does not read. */
  public static final java.util.Set<String> IGNORED =
      java.util.Set.of(T5Config.class.getAnnotation(JsonIgnoreProperties.class).value());

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public T5Config {
    positive(VOCAB_SIZE, vocabSize);
    positive(D_MODEL, dModel);
    positive(D_KV, dKv);
    positive(D_FF, dFf);
    positive(NUM_LAYERS, numLayers);
    positive(NUM_HEADS, numHeads);
    if (relativeAttentionNumBuckets < 4 || relativeAttentionNumBuckets % 4 != 0) {
      // each direction gets half the buckets, and half of those are exact offsets
      throw new IllegalArgumentException(
          NUM_BUCKETS + " must be a positive multiple of 4, got " + relativeAttentionNumBuckets);
    }
    if (relativeAttentionMaxDistance <= relativeAttentionNumBuckets / 4) {
      throw new IllegalArgumentException(
          MAX_DISTANCE
              + " "
              + relativeAttentionMaxDistance
              + " must exceed the exact range "
              + NUM_BUCKETS
              + "/4 = "
              + relativeAttentionNumBuckets / 4);
    }
    if (!(dropoutRate >= 0 && dropoutRate < 1)) {
      throw new IllegalArgumentException(DROPOUT_RATE + " must be in [0, 1), got " + dropoutRate);
    }
    if (!(layerNormEpsilon > 0)) {
      throw new IllegalArgumentException(
          LAYER_NORM_EPSILON + " must be > 0, got " + layerNormEpsilon);
    }
    if (!GATED_GELU.equals(feedForwardProj)) {
      throw new IllegalArgumentException(
          FEED_FORWARD_PROJ
              + " '"
              + feedForwardProj
              + "' is not supported; expected '"
              + GATED_GELU
              + "' (T5 v1.1)");
    }
    if (padTokenId < 0 || padTokenId >= vocabSize || eosTokenId < 0 || eosTokenId >= vocabSize) {
      throw new IllegalArgumentException(
          PAD_TOKEN_ID
              + " "
              + padTokenId
              + " and "
              + EOS_TOKEN_ID
              + " "
              + eosTokenId
              + " must lie in [0, "
              + vocabSize
              + ") ("
              + VOCAB_SIZE
              + ")");
    }
  }

  private static void positive(String key, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(key + " must be > 0, got " + v);
    }
  }

  /**
   * Reads absent keys as Hugging Face's {@code T5Config()} defaults (t5-small, except the
   * feed-forward variant, which must be given as gated-gelu). {@code dense_act_fn} and {@code
   * is_gated_act}, which upstream derives from {@code feed_forward_proj}, are checked against it.
   */
  @JsonCreator
  static T5Config fromJsonFields(
      @JsonProperty(VOCAB_SIZE) Integer vocabSize,
      @JsonProperty(D_MODEL) Integer dModel,
      @JsonProperty(D_KV) Integer dKv,
      @JsonProperty(D_FF) Integer dFf,
      @JsonProperty(NUM_LAYERS) Integer numLayers,
      @JsonProperty(NUM_HEADS) Integer numHeads,
      @JsonProperty(NUM_BUCKETS) Integer buckets,
      @JsonProperty(MAX_DISTANCE) Integer maxDistance,
      @JsonProperty(DROPOUT_RATE) Double dropoutRate,
      @JsonProperty(LAYER_NORM_EPSILON) Double eps,
      @JsonProperty(FEED_FORWARD_PROJ) String feedForwardProj,
      @JsonProperty(PAD_TOKEN_ID) Integer padTokenId,
      @JsonProperty(EOS_TOKEN_ID) Integer eosTokenId,
      @JsonProperty(DENSE_ACT_FN) String denseActFn,
      @JsonProperty(IS_GATED_ACT) Boolean isGatedAct) {
    String proj = feedForwardProj == null ? "relu" : feedForwardProj;
    if (denseActFn != null && !(GATED_GELU.equals(proj) && GELU_NEW.equals(denseActFn))) {
      throw new IllegalArgumentException(
          DENSE_ACT_FN
              + " '"
              + denseActFn
              + "' does not match "
              + FEED_FORWARD_PROJ
              + " '"
              + proj
              + "'; expected '"
              + GELU_NEW
              + "' with '"
              + GATED_GELU
              + "'");
    }
    if (isGatedAct != null && !isGatedAct) {
      throw new IllegalArgumentException(
          IS_GATED_ACT
              + " false does not match "
              + FEED_FORWARD_PROJ
              + " '"
              + proj
              + "'; the encoder supports only the gated '"
              + GATED_GELU
              + "'");
    }
    return new T5Config(
        or(vocabSize, 32128),
        or(dModel, 512),
        or(dKv, 64),
        or(dFf, 2048),
        or(numLayers, 6),
        or(numHeads, 8),
        or(buckets, 32),
        or(maxDistance, 128),
        or(dropoutRate, 0.1),
        or(eps, 1e-6),
        proj,
        or(padTokenId, 0),
        or(eosTokenId, 1));
  }

  private static <T> T or(T v, T fallback) {
    return v == null ? fallback : v;
  }

  /** {@code google/t5-v1_1-xxl} as {@code DeepFloyd/t5-v1_1-xxl}'s config.json states it. */
  public static T5Config t5v11Xxl() {
    return new T5Config(32128, 4096, 64, 10240, 24, 64, 32, 128, 0.1, 1e-6, GATED_GELU, 0, 1);
  }

  /** Width of all heads together, heads · d_kv (the q/k/v output width). */
  public int innerDim() {
    return numHeads * dKv;
  }

  /** Parameter elements of the encoder (shared embedding counted once). */
  public long parameterCount() {
    long d = dModel;
    long attn = 4 * d * innerDim();
    long ff = 3 * d * dFf;
    long norms = 2 * d;
    return (long) vocabSize * d
        + numLayers * (attn + ff + norms)
        + (long) relativeAttentionNumBuckets * numHeads
        + d;
  }

  /**
   * Parses a config.
   *
   * @param source names the JSON in error messages (a file name)
   * @throws IllegalArgumentException naming {@code source} and the faulty key or value
   */
  public static T5Config fromJson(String json, String source) {
    try {
      T5Config c = JSON.readValue(json, T5Config.class);
      if (c == null) {
        throw new IllegalArgumentException(source + ": empty T5 config");
      }
      return c;
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          source
              + ": unknown key '"
              + e.getPropertyName()
              + "' in a T5 config (neither an encoder field nor a known encoder-decoder key)",
          e);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(source + ": invalid T5 config: " + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          source + ": invalid T5 config: " + e.getOriginalMessage(), e);
    }
  }

  /** Reads {@code config.json}, or the one inside a model directory. */
  public static T5Config read(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such config file");
    }
    return fromJson(Files.readString(file), file.toString());
  }
}
