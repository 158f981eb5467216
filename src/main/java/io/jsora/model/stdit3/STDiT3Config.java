package io.jsora.model.stdit3;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Every knob of an {@link STDiT3}, bound to the field names of the released checkpoint's {@code
 * config.json} (the upstream {@code STDiT3Config}, a Hugging Face {@code PretrainedConfig}). Absent
 * keys take the upstream class defaults; the bookkeeping keys Hugging Face writes into every config
 * ({@link #HF_KEYS}) are accepted and ignored; any other key is an error.
 *
 * @param inputSize upstream's {@code input_size}, unused by the model (the latent size comes from
 *     the input); kept so a config round-trips
 * @param inputSqSize side in pixels of the square resolution the positional embedding is scaled to
 *     (512): {@code scale = sqrt(height·width) / input_sq_size}
 * @param inChannels latent channels of the VAE (4)
 * @param patchSize (t, h, w) patch of the 3D patch embedding ({@code [1, 2, 2]})
 * @param hiddenSize transformer width C
 * @param depth number of spatial blocks, and of temporal blocks
 * @param numHeads attention heads; C / heads must be even (RoPE rotates channel pairs)
 * @param mlpRatio MLP hidden width over C ({@code (int) (C · ratio)} as upstream)
 * @param classDropoutProb probability with which training replaces a caption by the null caption
 *     {@code y_embedding}; the model never draws it (see {@link STDiT3#forward})
 * @param predSigma whether the output also carries the variance channels (2 · in_channels)
 * @param dropPath stochastic depth rate; only 0 is supported (the released model's value)
 * @param captionChannels width of the text states (T5-XXL: 4096)
 * @param modelMaxLength text tokens per caption (300), the rows of {@code y_embedding}
 * @param qkNorm RMS-normalise each head's q and k (LlamaRMSNorm, eps 1e-6) before attention
 * @param enableFlashAttn kernel choice only; jsora always uses libtorch's SDPA
 * @param enableLayernormKernel kernel choice only (apex fused LayerNorm upstream)
 * @param enableSequenceParallelism upstream launch switch; in jsora sequence parallelism is set at
 *     run time, so this value is read and kept but does not change the model
 * @param onlyTrainTemporal training switch: only the temporal blocks require gradients
 * @param freezeYEmbedder training switch: the caption projection requires no gradients
 * @param skipYEmbedder upstream's path for pre-projected, pre-packed captions; must be false
 */
@JsonPropertyOrder({
  "input_size",
  "input_sq_size",
  "in_channels",
  "patch_size",
  "hidden_size",
  "depth",
  "num_heads",
  "mlp_ratio",
  "class_dropout_prob",
  "pred_sigma",
  "drop_path",
  "caption_channels",
  "model_max_length",
  "qk_norm",
  "enable_flash_attn",
  "enable_layernorm_kernel",
  "enable_sequence_parallelism",
  "only_train_temporal",
  "freeze_y_embedder",
  "skip_y_embedder"
})
public record STDiT3Config(
    @JsonProperty("input_size") @JsonInclude(JsonInclude.Include.ALWAYS) List<Integer> inputSize,
    @JsonProperty("input_sq_size") int inputSqSize,
    @JsonProperty("in_channels") int inChannels,
    @JsonProperty("patch_size") List<Integer> patchSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("depth") int depth,
    @JsonProperty("num_heads") int numHeads,
    @JsonProperty("mlp_ratio") double mlpRatio,
    @JsonProperty("class_dropout_prob") double classDropoutProb,
    @JsonProperty("pred_sigma") boolean predSigma,
    @JsonProperty("drop_path") double dropPath,
    @JsonProperty("caption_channels") int captionChannels,
    @JsonProperty("model_max_length") int modelMaxLength,
    @JsonProperty("qk_norm") boolean qkNorm,
    @JsonProperty("enable_flash_attn") boolean enableFlashAttn,
    @JsonProperty("enable_layernorm_kernel") boolean enableLayernormKernel,
    @JsonProperty("enable_sequence_parallelism") boolean enableSequenceParallelism,
    @JsonProperty("only_train_temporal") boolean onlyTrainTemporal,
    @JsonProperty("freeze_y_embedder") boolean freezeYEmbedder,
    @JsonProperty("skip_y_embedder") boolean skipYEmbedder) {

  /**
   * Keys Hugging Face's {@code PretrainedConfig.save_pretrained} adds to every config: known, and
   * ignored (they name the class, the dtype the weights were saved in and the library version).
   */
  public static final Set<String> HF_KEYS =
      Set.of("architectures", "model_type", "torch_dtype", "transformers_version");

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public STDiT3Config {
    inputSize =
        inputSize == null
            ? Arrays.asList(null, null, null)
            : Collections.unmodifiableList(new ArrayList<>(inputSize));
    check(
        inputSize.size() == 3,
        "input_size must have 3 entries (t, h, w; null = any), got " + inputSize);
    check(
        patchSize != null
            && patchSize.size() == 3
            && patchSize.stream().allMatch(p -> p != null && p >= 1),
        "patch_size must be 3 positive integers (t, h, w), got " + patchSize);
    patchSize = List.copyOf(patchSize);
    check(inputSqSize >= 1, "input_sq_size must be >= 1, got " + inputSqSize);
    check(inChannels >= 1, "in_channels must be >= 1, got " + inChannels);
    check(depth >= 1, "depth must be >= 1, got " + depth);
    check(numHeads >= 1, "num_heads must be >= 1, got " + numHeads);
    check(
        hiddenSize >= 1 && hiddenSize % numHeads == 0,
        "hidden_size " + hiddenSize + " not divisible by num_heads " + numHeads);
    check(
        (hiddenSize / numHeads) % 2 == 0,
        "head dim hidden_size/num_heads = "
            + hiddenSize / numHeads
            + " must be even (RoPE rotates channel pairs)");
    check(
        hiddenSize % 4 == 0,
        "hidden_size must be divisible by 4 (2D sin-cos position embedding), got " + hiddenSize);
    check(
        mlpRatio > 0 && (int) (hiddenSize * mlpRatio) >= 1,
        "mlp_ratio must be > 0, got " + mlpRatio);
    check(
        classDropoutProb >= 0 && classDropoutProb < 1,
        "class_dropout_prob must be in [0, 1), got " + classDropoutProb);
    check(
        dropPath == 0.0,
        "drop_path must be 0.0 (stochastic depth is not implemented), got " + dropPath);
    check(captionChannels >= 1, "caption_channels must be >= 1, got " + captionChannels);
    check(modelMaxLength >= 1, "model_max_length must be >= 1, got " + modelMaxLength);
    check(
        !skipYEmbedder,
        "skip_y_embedder must be false: captions are given as T5 states [B, 1, L, caption_channels]");
  }

  /**
   * Reads absent keys as the upstream class defaults; rejects unknown keys, ignores {@link
   * #HF_KEYS}.
   */
  @JsonCreator
  static STDiT3Config fromJsonFields(
      @JsonProperty("input_size") List<Integer> inputSize,
      @JsonProperty("input_sq_size") Integer inputSqSize,
      @JsonProperty("in_channels") Integer inChannels,
      @JsonProperty("patch_size") List<Integer> patchSize,
      @JsonProperty("hidden_size") Integer hiddenSize,
      @JsonProperty("depth") Integer depth,
      @JsonProperty("num_heads") Integer numHeads,
      @JsonProperty("mlp_ratio") Double mlpRatio,
      @JsonProperty("class_dropout_prob") Double classDropoutProb,
      @JsonProperty("pred_sigma") Boolean predSigma,
      @JsonProperty("drop_path") Double dropPath,
      @JsonProperty("caption_channels") Integer captionChannels,
      @JsonProperty("model_max_length") Integer modelMaxLength,
      @JsonProperty("qk_norm") Boolean qkNorm,
      @JsonProperty("enable_flash_attn") Boolean enableFlashAttn,
      @JsonProperty("enable_layernorm_kernel") Boolean enableLayernormKernel,
      @JsonProperty("enable_sequence_parallelism") Boolean enableSequenceParallelism,
      @JsonProperty("only_train_temporal") Boolean onlyTrainTemporal,
      @JsonProperty("freeze_y_embedder") Boolean freezeYEmbedder,
      @JsonProperty("skip_y_embedder") Boolean skipYEmbedder) {
    return new STDiT3Config(
        inputSize,
        or(inputSqSize, 512),
        or(inChannels, 4),
        or(patchSize, List.of(1, 2, 2)),
        or(hiddenSize, 1152),
        or(depth, 28),
        or(numHeads, 16),
        or(mlpRatio, 4.0),
        or(classDropoutProb, 0.1),
        or(predSigma, true),
        or(dropPath, 0.0),
        or(captionChannels, 4096),
        or(modelMaxLength, 300),
        or(qkNorm, true),
        or(enableFlashAttn, false),
        or(enableLayernormKernel, false),
        or(enableSequenceParallelism, false),
        or(onlyTrainTemporal, false),
        or(freezeYEmbedder, false),
        or(skipYEmbedder, false));
  }

  /**
   * STDiT3-XL/2 as released ({@code hpcai-tech/OpenSora-STDiT-v3}): depth 28, hidden 1152, 16
   * heads, patch (1, 2, 2), T5-XXL captions of 300 tokens, QK-norm, caption projection frozen.
   */
  public static STDiT3Config xl2() {
    return new STDiT3Config(
        null,
        512,
        4,
        List.of(1, 2, 2),
        1152,
        28,
        16,
        4.0,
        0.1,
        true,
        0.0,
        4096,
        300,
        true,
        false,
        false,
        false,
        false,
        true,
        false);
  }

  /** This config with {@code in_channels} set (a training run takes it from its latents). */
  public STDiT3Config withInChannels(int v) {
    return new STDiT3Config(
        inputSize,
        inputSqSize,
        v,
        patchSize,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        classDropoutProb,
        predSigma,
        dropPath,
        captionChannels,
        modelMaxLength,
        qkNorm,
        enableFlashAttn,
        enableLayernormKernel,
        enableSequenceParallelism,
        onlyTrainTemporal,
        freezeYEmbedder,
        skipYEmbedder);
  }

  /** This config with {@code caption_channels} set (a training run takes it from its text). */
  public STDiT3Config withCaptionChannels(int v) {
    return new STDiT3Config(
        inputSize,
        inputSqSize,
        inChannels,
        patchSize,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        classDropoutProb,
        predSigma,
        dropPath,
        v,
        modelMaxLength,
        qkNorm,
        enableFlashAttn,
        enableLayernormKernel,
        enableSequenceParallelism,
        onlyTrainTemporal,
        freezeYEmbedder,
        skipYEmbedder);
  }

  /** Output channels: twice the input with {@code pred_sigma}. */
  @JsonIgnore
  public int outChannels() {
    return predSigma ? 2 * inChannels : inChannels;
  }

  @JsonIgnore
  public int headDim() {
    return hiddenSize / numHeads;
  }

  /** MLP hidden width, {@code (int) (hidden_size · mlp_ratio)} as upstream. */
  @JsonIgnore
  public int mlpHidden() {
    return (int) (hiddenSize * mlpRatio);
  }

  /** Patch extent along t, h or w (axis 0, 1, 2). */
  public int patch(int axis) {
    return patchSize.get(axis);
  }

  /** Values per output token: {@code pt·ph·pw·out_channels}. */
  @JsonIgnore
  public long patchOutputs() {
    return (long) patch(0) * patch(1) * patch(2) * outChannels();
  }

  /** The config as JSON in the upstream field names. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Parses a config.
   *
   * @param source names the JSON in error messages (a file name)
   * @throws IllegalArgumentException naming {@code source} and the faulty key or value
   */
  public static STDiT3Config fromJson(String json, String source) {
    try {
      JsonNode tree = JSON.readTree(json);
      if (tree == null || !tree.isObject()) {
        throw new IllegalArgumentException(
            source + ": expected a JSON object for the STDiT3 config");
      }
      for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
        if (HF_KEYS.contains(it.next())) {
          it.remove();
        }
      }
      return JSON.treeToValue(tree, STDiT3Config.class);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(
          source + ": invalid STDiT3 config: " + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() instanceof IllegalArgumentException) {
        root = root.getCause();
      }
      String msg = root == e ? e.getOriginalMessage() : root.getMessage();
      throw new IllegalArgumentException(source + ": invalid STDiT3 config: " + msg, e);
    }
  }

  /** Reads a {@code config.json} file, or {@code DIR/config.json} for a directory. */
  public static STDiT3Config read(Path file) throws IOException {
    Path f = Files.isDirectory(file) ? file.resolve("config.json") : file;
    return fromJson(Files.readString(f), f.toString());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static <T> T or(T v, T fallback) {
    return v == null ? fallback : v;
  }
}
