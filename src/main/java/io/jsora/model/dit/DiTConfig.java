package io.jsora.model.dit;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every knob of a {@link DiT}. The JSON form uses the reference constructor's argument names
 * ({@code patch_size}, {@code in_channels}, ...) plus jsora's {@code pos_embed} and {@code
 * grad_checkpoint}; checkpoints carry the same JSON. Absent keys take the reference constructor's
 * defaults; unknown keys are errors.
 *
 * @param patchSize side of the square per-frame patches, in latent pixels
 * @param inChannels channels of the latent the model diffuses (the compressor's output)
 * @param textEmbedDim width of the text states or pooled text (512 for CLIP ViT-B/32)
 * @param hiddenSize transformer width D
 * @param depth number of blocks
 * @param numHeads attention heads; must divide {@code hiddenSize}
 * @param mlpRatio MLP hidden width over D (the MLP is {@code (int) (D · ratio)} wide)
 * @param maxNumEmbeddings token count the {@code index} table covers before it is rebuilt larger
 *     (its grid side is {@code ceil(sqrt(n))}; 262144 gives the reference's 512)
 * @param textDropoutProb probability with which training replaces a sample's text by the null
 *     (zero) text; the trainer draws it, the model never does
 * @param learnSigma whether the model also predicts the variance (output channels doubled)
 * @param modelArch how text conditions the model
 * @param posEmbed which positional embedding
 * @param gradCheckpoint recompute each block's activations in backward instead of keeping them
 * @param textToC cross-attending archs only (jsora's extension): also add the projected masked-mean
 *     of the text states to the conditioning vector {@code c}, as {@code adaln} adds pooled text,
 *     so every block's modulation sees the caption as well as its attention
 */
@JsonPropertyOrder({
  "patch_size",
  "in_channels",
  "text_embed_dim",
  "hidden_size",
  "depth",
  "num_heads",
  "mlp_ratio",
  "max_num_embeddings",
  "text_dropout_prob",
  "learn_sigma",
  "model_arch",
  "pos_embed",
  "grad_checkpoint",
  "text_to_c"
})
public record DiTConfig(
    @JsonProperty("patch_size") int patchSize,
    @JsonProperty("in_channels") int inChannels,
    @JsonProperty("text_embed_dim") int textEmbedDim,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("depth") int depth,
    @JsonProperty("num_heads") int numHeads,
    @JsonProperty("mlp_ratio") double mlpRatio,
    @JsonProperty("max_num_embeddings") long maxNumEmbeddings,
    @JsonProperty("text_dropout_prob") double textDropoutProb,
    @JsonProperty("learn_sigma") boolean learnSigma,
    @JsonProperty("model_arch") Arch modelArch,
    @JsonProperty("pos_embed") PosEmbed posEmbed,
    @JsonProperty("grad_checkpoint") boolean gradCheckpoint,
    @JsonProperty("text_to_c") boolean textToC) {

  /** The reference constructor's {@code max_num_embeddings} default, 256·1024. */
  public static final long DEFAULT_MAX_NUM_EMBEDDINGS = 256L * 1024;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public DiTConfig {
    check(patchSize >= 1, "patch_size must be >= 1, got " + patchSize);
    check(inChannels >= 1, "in_channels must be >= 1, got " + inChannels);
    check(textEmbedDim >= 1, "text_embed_dim must be >= 1, got " + textEmbedDim);
    check(depth >= 1, "depth must be >= 1, got " + depth);
    check(numHeads >= 1, "num_heads must be >= 1, got " + numHeads);
    check(
        hiddenSize >= 1 && hiddenSize % numHeads == 0,
        "hidden_size " + hiddenSize + " not divisible by num_heads " + numHeads);
    check(
        mlpRatio > 0 && (int) (hiddenSize * mlpRatio) >= 1,
        "mlp_ratio must be > 0, got " + mlpRatio);
    check(maxNumEmbeddings >= 1, "max_num_embeddings must be >= 1, got " + maxNumEmbeddings);
    check(
        textDropoutProb >= 0 && textDropoutProb < 1,
        "text_dropout_prob must be in [0, 1), got " + textDropoutProb);
    check(modelArch != null, "model_arch is required");
    check(posEmbed != null, "pos_embed is required");
    check(
        !textToC || modelArch.crossAttends(),
        "text_to_c applies to cross-attn and self-cross only, not " + modelArch);
    if (posEmbed == PosEmbed.INDEX) {
      check(
          hiddenSize % 4 == 0,
          "pos_embed index needs hidden_size divisible by 4, got " + hiddenSize);
    } else {
      check(
          hiddenSize % 2 == 0 && hiddenSize >= 16,
          "pos_embed thw needs an even hidden_size >= 16, got " + hiddenSize);
    }
  }

  /** Reads absent keys as the reference constructor's defaults. */
  @JsonCreator
  static DiTConfig fromJsonFields(
      @JsonProperty("patch_size") Integer patchSize,
      @JsonProperty("in_channels") Integer inChannels,
      @JsonProperty("text_embed_dim") Integer textEmbedDim,
      @JsonProperty("hidden_size") Integer hiddenSize,
      @JsonProperty("depth") Integer depth,
      @JsonProperty("num_heads") Integer numHeads,
      @JsonProperty("mlp_ratio") Double mlpRatio,
      @JsonProperty("max_num_embeddings") Long maxNumEmbeddings,
      @JsonProperty("text_dropout_prob") Double textDropoutProb,
      @JsonProperty("learn_sigma") Boolean learnSigma,
      @JsonProperty("model_arch") Arch modelArch,
      @JsonProperty("pos_embed") PosEmbed posEmbed,
      @JsonProperty("grad_checkpoint") Boolean gradCheckpoint,
      @JsonProperty("text_to_c") Boolean textToC) {
    return new DiTConfig(
        or(patchSize, 2),
        or(inChannels, 3),
        or(textEmbedDim, 512),
        or(hiddenSize, 1152),
        or(depth, 28),
        or(numHeads, 16),
        or(mlpRatio, 4.0),
        or(maxNumEmbeddings, DEFAULT_MAX_NUM_EMBEDDINGS),
        or(textDropoutProb, 0.1),
        or(learnSigma, true),
        or(modelArch, Arch.CROSS_ATTN),
        or(posEmbed, PosEmbed.THW),
        or(gradCheckpoint, false),
        or(textToC, false));
  }

  /** Output channels: twice the input with learned sigma. */
  public int outChannels() {
    return learnSigma ? 2 * inChannels : inChannels;
  }

  /** MLP hidden width, {@code (int) (hiddenSize · mlpRatio)} as the reference computes it. */
  public int mlpHidden() {
    return (int) (hiddenSize * mlpRatio);
  }

  public int headDim() {
    return hiddenSize / numHeads;
  }

  /** Side of the {@code index} table's grid: {@code ceil(sqrt(max_num_embeddings))}. */
  public long indexGridSide() {
    return (long) Math.ceil(Math.sqrt((double) maxNumEmbeddings));
  }

  public DiTConfig withArch(Arch a) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        a,
        posEmbed,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withInChannels(int c) {
    return new DiTConfig(
        patchSize,
        c,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        modelArch,
        posEmbed,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withTextEmbedDim(int d) {
    return new DiTConfig(
        patchSize,
        inChannels,
        d,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        modelArch,
        posEmbed,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withPosEmbed(PosEmbed p) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        modelArch,
        p,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withLearnSigma(boolean s) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        s,
        modelArch,
        posEmbed,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withTextDropoutProb(double p) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        p,
        learnSigma,
        modelArch,
        posEmbed,
        gradCheckpoint,
        textToC);
  }

  public DiTConfig withGradCheckpoint(boolean g) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        modelArch,
        posEmbed,
        g,
        textToC);
  }

  public DiTConfig withTextToC(boolean on) {
    return new DiTConfig(
        patchSize,
        inChannels,
        textEmbedDim,
        hiddenSize,
        depth,
        numHeads,
        mlpRatio,
        maxNumEmbeddings,
        textDropoutProb,
        learnSigma,
        modelArch,
        posEmbed,
        gradCheckpoint,
        on);
  }

  /** The config as JSON (reference argument names, indented). */
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
  public static DiTConfig fromJson(String json, String source) {
    try {
      DiTConfig c = JSON.readValue(json, DiTConfig.class);
      if (c == null) {
        throw new IllegalArgumentException(source + ": empty DiT config");
      }
      return c;
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(source + ": invalid DiT config: " + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() instanceof IllegalArgumentException) {
        root = root.getCause();
      }
      String msg = root == e ? e.getOriginalMessage() : root.getMessage();
      throw new IllegalArgumentException(source + ": invalid DiT config: " + msg, e);
    }
  }

  /** Reads a config JSON file. */
  public static DiTConfig read(Path file) throws IOException {
    return fromJson(Files.readString(file), file.toString());
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
