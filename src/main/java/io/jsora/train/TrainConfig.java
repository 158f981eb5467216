package io.jsora.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * Every knob of a training run. The JSON/YAML names are the command-line flags' long names with
 * underscores ({@code --batch-size} ↔ {@code batch_size}); a config file sets any of them and
 * flags override the file. Defaults are the reference's where it had one.
 *
 * @param model DiT preset ({@code DiT-S/8}, {@code DiT-T/4}...), ignored when {@code modelConfig} is set
 * @param arch how text conditions the model: adaln, cross-attn, token-concat, self-cross
 * @param modelConfig a DiT config JSON instead of a preset (channels and text width still follow the data)
 * @param compressor raw, vqvae or vae: what the model diffuses in (must match cached latents)
 * @param compressorDir the compressor's weights (directory or Hugging Face id), null for defaults
 * @param dataset preprocessed dataset directories (jsora preprocess output)
 * @param videoDir where the videos are, when the dataset does not cache latents (default: recorded in the dataset)
 * @param epochs passes over the data (used when maxSteps is 0)
 * @param maxSteps optimizer steps to run; 0 = epochs × steps per epoch
 * @param batchSize samples per micro-batch per data-parallel replica (a step takes batchSize ×
 *     accumulationSteps × replicas rows)
 * @param accumulationSteps micro-batches per optimizer step
 * @param lr peak learning rate
 * @param weightDecay AdamW decay, applied to ≥2-D weights only
 * @param warmupSteps linear warm-up steps
 * @param lrSchedule cosine or constant
 * @param minLr the cosine schedule's floor
 * @param emaDecay decay of the fp32 exponential moving average of the weights
 * @param gradClip clip the global gradient norm to this; 0 = measure only
 * @param noiseSchedule linear (reference) or cosine
 * @param prediction eps (reference), v or x0
 * @param learnSigma learned-range variance (reference) or fixed small variance
 * @param textDropout probability of training a sample on the null (zero) text, for classifier-free guidance
 * @param gradCheckpoint recompute block activations in backward
 * @param saveInterval optimizer steps between checkpoints; 0 = only at the end
 * @param keepLast checkpoints kept (0 = all)
 * @param checkpointDir where checkpoints (step-NNNNNNN directories), metrics.jsonl and loss.png go
 * @param resume {@code auto} (the latest checkpoint in checkpointDir, if any) or a checkpoint directory; null = fresh
 * @param seed seed of initialisation, data order and all per-sample randomness
 * @param device cpu, cuda, cuda:N or auto
 * @param logInterval optimizer steps between log lines when no progress bar is shown
 * @param workers background threads building batches
 * @param nanTolerance bad (NaN/inf) steps in a row before the run stops
 * @param textToC cross-attending archs: also add the (masked-mean) text to the conditioning vector
 * @param spSize sequence-parallel group size: each sample's tokens are split over this many ranks
 *     (the world size must be a multiple; the data is sharded over world / spSize replicas)
 * @param spMode sequence-parallel attention: {@code ulysses} or {@code fastseq}
 * @param zero ZeRO stage: 0 (optimizer state on every rank) or 2 (optimizer state and reduced
 *     gradients sharded over the ranks)
 * @param distTimeout seconds a collective may wait for the other ranks before the run stops with
 *     an error naming the rank at fault
 * @param precision auto (bf16 autocast on CUDA, fp32 on the CPU), fp32 or bf16
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder(alphabetic = false)
public record TrainConfig(
    @JsonProperty("model") String model,
    @JsonProperty("arch") String arch,
    @JsonProperty("model_config") String modelConfig,
    @JsonProperty("compressor") String compressor,
    @JsonProperty("compressor_dir") String compressorDir,
    @JsonProperty("dataset") List<String> dataset,
    @JsonProperty("video_dir") String videoDir,
    @JsonProperty("epochs") int epochs,
    @JsonProperty("max_steps") long maxSteps,
    @JsonProperty("batch_size") int batchSize,
    @JsonProperty("accumulation_steps") int accumulationSteps,
    @JsonProperty("lr") double lr,
    @JsonProperty("weight_decay") double weightDecay,
    @JsonProperty("warmup_steps") long warmupSteps,
    @JsonProperty("lr_schedule") String lrSchedule,
    @JsonProperty("min_lr") double minLr,
    @JsonProperty("ema_decay") double emaDecay,
    @JsonProperty("grad_clip") double gradClip,
    @JsonProperty("noise_schedule") String noiseSchedule,
    @JsonProperty("prediction") String prediction,
    @JsonProperty("learn_sigma") boolean learnSigma,
    @JsonProperty("text_dropout") double textDropout,
    @JsonProperty("grad_checkpoint") boolean gradCheckpoint,
    @JsonProperty("save_interval") long saveInterval,
    @JsonProperty("keep_last") int keepLast,
    @JsonProperty("checkpoint_dir") String checkpointDir,
    @JsonProperty("resume") String resume,
    @JsonProperty("seed") long seed,
    @JsonProperty("device") String device,
    @JsonProperty("log_interval") int logInterval,
    @JsonProperty("workers") int workers,
    @JsonProperty("nan_tolerance") int nanTolerance,
    @JsonProperty("text_to_c") boolean textToC,
    @JsonProperty("sp_size") int spSize,
    @JsonProperty("sp_mode") String spMode,
    @JsonProperty("zero") int zero,
    @JsonProperty("dist_timeout") double distTimeout,
    @JsonProperty("precision") String precision) {

  /** Sequence-parallel modes {@code sp_mode} accepts. */
  public static final List<String> SP_MODES = List.of("ulysses", "fastseq");

  @com.fasterxml.jackson.annotation.JsonCreator
  public TrainConfig {
    dataset = dataset == null ? List.of() : List.copyOf(dataset);
    precision = precision == null ? "auto" : precision;
    check(List.of("auto", "fp32", "bf16").contains(precision), "precision", precision, "auto, fp32 or bf16");
    check(epochs >= 1, "epochs", epochs, ">= 1");
    check(maxSteps >= 0, "max_steps", maxSteps, ">= 0");
    check(batchSize >= 1, "batch_size", batchSize, ">= 1");
    check(accumulationSteps >= 1, "accumulation_steps", accumulationSteps, ">= 1");
    check(lr > 0, "lr", lr, "> 0");
    check(weightDecay >= 0, "weight_decay", weightDecay, ">= 0");
    check(warmupSteps >= 0, "warmup_steps", warmupSteps, ">= 0");
    check(emaDecay >= 0 && emaDecay < 1, "ema_decay", emaDecay, "in [0, 1)");
    check(gradClip >= 0, "grad_clip", gradClip, ">= 0");
    check(textDropout >= 0 && textDropout <= 1, "text_dropout", textDropout, "in [0, 1]");
    check(saveInterval >= 0, "save_interval", saveInterval, ">= 0");
    check(keepLast >= 0, "keep_last", keepLast, ">= 0");
    check(logInterval >= 1, "log_interval", logInterval, ">= 1");
    check(workers >= 1, "workers", workers, ">= 1");
    check(nanTolerance >= 1, "nan_tolerance", nanTolerance, ">= 1");
    check(spSize >= 1, "sp_size", spSize, ">= 1");
    spMode = spMode == null ? "ulysses" : spMode.trim().toLowerCase(java.util.Locale.ROOT);
    check(SP_MODES.contains(spMode), "sp_mode", spMode, "ulysses or fastseq");
    check(zero == 0 || zero == 2, "zero", zero, "0 or 2");
    check(distTimeout > 0, "dist_timeout", distTimeout, "> 0 (seconds)");
  }


  /** Default collective timeout in seconds. */
  public static final double DEFAULT_DIST_TIMEOUT = 120;

  private static void check(boolean ok, String name, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(name + " must be " + expected + ", got " + value);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper()
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * A copy with settings replaced, by their JSON names ({@code batch_size}, {@code max_steps}
   * ...); values are checked like the constructor's.
   *
   * @throws IllegalArgumentException for an unknown name or a bad value
   */
  public TrainConfig with(java.util.Map<String, ?> settings) {
    com.fasterxml.jackson.databind.node.ObjectNode tree = JSON.valueToTree(this);
    for (java.util.Map.Entry<String, ?> e : settings.entrySet()) {
      tree.set(e.getKey(), JSON.valueToTree(e.getValue()));
    }
    try {
      return JSON.treeToValue(tree, TrainConfig.class);
    } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
      throw new IllegalArgumentException("unknown setting '" + e.getPropertyName() + "' (known: "
          + String.join(", ", e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList()) + ")", e);
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      throw new IllegalArgumentException(e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage(), e);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("invalid settings: " + e.getOriginalMessage(), e);
    }
  }

  /** A copy with one setting replaced; see {@link #with(java.util.Map)}. */
  public TrainConfig with(String name, Object value) {
    java.util.Map<String, Object> m = new java.util.HashMap<>();
    m.put(name, value);
    return with(m);
  }

  /** The reference's defaults (one process): DiT-S/8 cross-attn on raw video, lr 1e-4 cosine, EMA 0.9999, batch 4; resume auto. */
  public static TrainConfig defaults() {
    return new TrainConfig("DiT-S/8", "cross-attn", null, "raw", null, List.of(), null, 10, 0, 4, 1, 1e-4, 0, 0, "cosine", 0,
        0.9999, 0, "linear", "eps", true, 0.1, false, 20, 3, "checkpoints", "auto", 0, "auto", 10, 2, 20, false, 1, "ulysses", 0,
        DEFAULT_DIST_TIMEOUT, "auto");
  }
}
