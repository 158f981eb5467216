package io.jsora.model.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.HfConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The text tower of a CLIP model, as a Hugging Face {@code CLIPTextConfig}. Read from a model
 * directory's {@code config.json}: either a whole {@code CLIPModel} config (the text part is its
 * {@code text_config}, overridden by a non-null legacy {@code text_config_dict}) or a text-only
 * one. A key that is absent takes the value Hugging Face's {@code CLIPTextConfig} gives it, which
 * is the text tower of {@code openai/clip-vit-base-patch32}.
 *
 * @param vocabSize token embedding rows ({@code vocab_size})
 * @param hiddenSize D, the width of every hidden state ({@code hidden_size})
 * @param intermediateSize the MLP's inner width ({@code intermediate_size})
 * @param projectionDim width of CLIP's text projection; not used by the text model, kept so a
 *     written config round-trips ({@code projection_dim})
 * @param numHiddenLayers encoder layers ({@code num_hidden_layers})
 * @param numAttentionHeads attention heads; must divide D ({@code num_attention_heads})
 * @param maxPositionEmbeddings the longest token sequence, special tokens included ({@code
 *     max_position_embeddings})
 * @param hiddenAct the MLP activation by its Hugging Face name ({@code hidden_act})
 * @param layerNormEps epsilon of every LayerNorm ({@code layer_norm_eps})
 * @param attentionDropout attention dropout in training; inference ignores it ({@code
 *     attention_dropout})
 * @param padTokenId pad id recorded in the config; the tokenizer's own pad token wins ({@code
 *     pad_token_id})
 * @param bosTokenId beginning-of-text id ({@code bos_token_id})
 * @param eosTokenId end-of-text id; decides which state is pooled ({@code eos_token_id}): the
 *     legacy value 2 means "the position of the largest input id", anything else "the first
 *     position holding this id"
 */
public record ClipTextConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int projectionDim,
    int numHiddenLayers,
    int numAttentionHeads,
    int maxPositionEmbeddings,
    String hiddenAct,
    double layerNormEps,
    double attentionDropout,
    int padTokenId,
    int bosTokenId,
    int eosTokenId) {

  static final String VOCAB_SIZE = "vocab_size";
  static final String HIDDEN_SIZE = "hidden_size";
  static final String INTERMEDIATE_SIZE = "intermediate_size";
  static final String PROJECTION_DIM = "projection_dim";
  static final String NUM_HIDDEN_LAYERS = "num_hidden_layers";
  static final String NUM_ATTENTION_HEADS = "num_attention_heads";
  static final String MAX_POSITION_EMBEDDINGS = "max_position_embeddings";
  static final String HIDDEN_ACT = "hidden_act";
  static final String LAYER_NORM_EPS = "layer_norm_eps";
  static final String ATTENTION_DROPOUT = "attention_dropout";
  static final String PAD_TOKEN_ID = "pad_token_id";
  static final String BOS_TOKEN_ID = "bos_token_id";
  static final String EOS_TOKEN_ID = "eos_token_id";

  /** The eos_token_id of configs written before the pooling rule was fixed upstream. */
  public static final int LEGACY_EOS_TOKEN_ID = 2;

  /** Activations the MLP supports, by their Hugging Face names. */
  public static final Set<String> ACTIVATIONS =
      Set.of(
          "quick_gelu",
          "gelu",
          "gelu_new",
          "gelu_pytorch_tanh",
          "gelu_fast",
          "relu",
          "silu",
          "swish");

  public ClipTextConfig {
    positive(VOCAB_SIZE, vocabSize);
    positive(HIDDEN_SIZE, hiddenSize);
    positive(INTERMEDIATE_SIZE, intermediateSize);
    positive(NUM_HIDDEN_LAYERS, numHiddenLayers);
    positive(NUM_ATTENTION_HEADS, numAttentionHeads);
    positive(MAX_POSITION_EMBEDDINGS, maxPositionEmbeddings);
    if (hiddenSize % numAttentionHeads != 0) {
      throw new IllegalArgumentException(
          HIDDEN_SIZE
              + " "
              + hiddenSize
              + " is not divisible by "
              + NUM_ATTENTION_HEADS
              + " "
              + numAttentionHeads);
    }
    if (hiddenAct == null || !ACTIVATIONS.contains(hiddenAct)) {
      throw new IllegalArgumentException(
          HIDDEN_ACT + " '" + hiddenAct + "' is not supported; expected one of " + ACTIVATIONS);
    }
    if (!(layerNormEps > 0)) {
      throw new IllegalArgumentException(LAYER_NORM_EPS + " must be > 0, got " + layerNormEps);
    }
  }

  private static void positive(String key, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(key + " must be > 0, got " + v);
    }
  }

  /** Hugging Face's {@code CLIPTextConfig()} defaults: the text tower of CLIP ViT-B/32. */
  public static ClipTextConfig defaults() {
    return new ClipTextConfig(
        49408, 512, 2048, 512, 12, 8, 77, "quick_gelu", 1e-5, 0.0, 1, 49406, 49407);
  }

  /**
   * The text tower of {@code openai/clip-vit-base-patch32} as its published {@code config.json}
   * states it (which keeps the legacy {@code eos_token_id} 2, so pooling takes the largest id).
   */
  public static ClipTextConfig clipVitBasePatch32() {
    return new ClipTextConfig(49408, 512, 2048, 512, 12, 8, 77, "quick_gelu", 1e-5, 0.0, 1, 0, 2);
  }

  /** Attention head width D / heads. */
  public int headDim() {
    return hiddenSize / numAttentionHeads;
  }

  /** Whether pooling uses the legacy rule (argmax of the input ids). */
  public boolean legacyPooling() {
    return eosTokenId == LEGACY_EOS_TOKEN_ID;
  }

  /** Parameter count of the text model (embeddings, encoder, final LayerNorm). */
  public long parameterCount() {
    long d = hiddenSize;
    long i = intermediateSize;
    long attn = 4 * (d * d + d);
    long mlp = d * i + i + i * d + d;
    long norms = 2 * 2 * d;
    return (long) vocabSize * d
        + (long) maxPositionEmbeddings * d
        + numHiddenLayers * (attn + mlp + norms)
        + 2 * d;
  }

  /**
   * Multiply-adds of one forward pass over {@code tokens} tokens for one caption: the linear maps
   * and the two attention products.
   */
  public long multiplyAdds(long tokens) {
    long d = hiddenSize;
    long perLayer =
        tokens * 4 * d * d + 2 * tokens * tokens * d + 2 * tokens * d * intermediateSize;
    return numHiddenLayers * perLayer;
  }

  /** Reads {@code config.json} (or a directory holding one). */
  public static ClipTextConfig read(Path path) throws IOException {
    HfConfig json = HfConfig.read(path);
    try {
      return fromJson(json.root());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(json.file() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The text config inside a parsed {@code config.json}; see the class documentation.
   *
   * @throws IllegalArgumentException naming the key of a value of the wrong type or out of range
   */
  public static ClipTextConfig fromJson(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    JsonNode text = root;
    JsonNode tc = root.get("text_config");
    boolean whole = tc != null || "clip".equals(root.path("model_type").asText(null));
    if (whole) {
      ObjectNode merged = HfConfig.newObject();
      if (tc != null && tc.isObject()) {
        merged.setAll((ObjectNode) tc);
      } else if (tc != null && !tc.isNull()) {
        throw new IllegalArgumentException(
            "text_config: expected an object, found " + tc.getNodeType());
      }
      JsonNode legacy = root.get("text_config_dict");
      if (legacy != null && legacy.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = legacy.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          merged.set(e.getKey(), e.getValue());
        }
      }
      text = merged;
    }
    ClipTextConfig d = defaults();
    HfConfig j = HfConfig.of(text);
    try {
      return new ClipTextConfig(
          j.intValue(VOCAB_SIZE, d.vocabSize),
          j.intValue(HIDDEN_SIZE, d.hiddenSize),
          j.intValue(INTERMEDIATE_SIZE, d.intermediateSize),
          j.intValue(PROJECTION_DIM, d.projectionDim),
          j.intValue(NUM_HIDDEN_LAYERS, d.numHiddenLayers),
          j.intValue(NUM_ATTENTION_HEADS, d.numAttentionHeads),
          j.intValue(MAX_POSITION_EMBEDDINGS, d.maxPositionEmbeddings),
          j.stringValue(HIDDEN_ACT, d.hiddenAct),
          j.doubleValue(LAYER_NORM_EPS, d.layerNormEps),
          j.doubleValue(ATTENTION_DROPOUT, d.attentionDropout),
          j.intValue(PAD_TOKEN_ID, d.padTokenId),
          j.intValue(BOS_TOKEN_ID, d.bosTokenId),
          j.intValue(EOS_TOKEN_ID, d.eosTokenId));
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e); // in memory: the message names the key
    }
  }

  /** This config as a text-only {@code config.json} object ({@code CLIPTextModel}). */
  public ObjectNode toJson() {
    ObjectNode o = HfConfig.newObject();
    o.putArray("architectures").add("CLIPTextModel");
    o.put("model_type", "clip_text_model");
    o.put(VOCAB_SIZE, vocabSize);
    o.put(HIDDEN_SIZE, hiddenSize);
    o.put(INTERMEDIATE_SIZE, intermediateSize);
    o.put(PROJECTION_DIM, projectionDim);
    o.put(NUM_HIDDEN_LAYERS, numHiddenLayers);
    o.put(NUM_ATTENTION_HEADS, numAttentionHeads);
    o.put(MAX_POSITION_EMBEDDINGS, maxPositionEmbeddings);
    o.put(HIDDEN_ACT, hiddenAct);
    o.put(LAYER_NORM_EPS, layerNormEps);
    o.put(ATTENTION_DROPOUT, attentionDropout);
    o.put(PAD_TOKEN_ID, padTokenId);
    o.put(BOS_TOKEN_ID, bosTokenId);
    o.put(EOS_TOKEN_ID, eosTokenId);
    o.put("torch_dtype", "float32");
    return o;
  }
}
