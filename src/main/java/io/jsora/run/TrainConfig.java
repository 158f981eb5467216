package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import io.jsora.config.SettingException;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.rflow.MaskRatios;
import io.jsora.diffusion.rflow.SampleMethod;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.stdit3.STDiT3Presets;
import io.jsora.model.vae.CompressorKind;
import io.jsora.parallel.SpMode;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Precision;
import java.util.List;

/**
 * Every knob of a training run, typed. The JSON/YAML names are the command-line flags' long names
 * with underscores ({@code --batch-size} ↔ {@code batch_size}); a config file sets any of them and
 * flags override the file. Defaults ({@link #defaults()}) are the reference's where it had one;
 * checkpoints record the settings under {@code train} in {@link RunConfig}.
 *
 * @param model preset of the model family ({@code DiT-S/8}, {@code DiT-T/4}... or {@code
 *     STDiT3-XL/2}, {@code STDiT3-T/2}), ignored when {@code modelConfig} is set; null = the
 *     family's default ({@link #effectiveModel})
 * @param arch how text conditions the model: adaln, cross-attn, token-concat, self-cross; null =
 *     the model config file's, or cross-attn for a preset (see {@link #effectiveArch})
 * @param modelConfig a model config JSON instead of a preset: a DiT config, or for STDiT3 an
 *     upstream {@code config.json} (or its directory); channels and text width still follow the
 *     data
 * @param compressor raw, vqvae or vae: what the model diffuses in (must match cached latents)
 * @param compressorDir the compressor's weights (directory or Hugging Face id), null for defaults
 * @param dataset preprocessed dataset directories (jsora preprocess output)
 * @param videoDir where the videos are, when the dataset does not cache latents (default: recorded
 *     in the dataset)
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
 * @param textDropout probability of training a sample on the null (zero) text, for classifier-free
 *     guidance
 * @param gradCheckpoint recompute block activations in backward
 * @param saveInterval optimizer steps between checkpoints; 0 = only at the end
 * @param keepLast checkpoints kept (0 = all)
 * @param checkpointDir where checkpoints (step-NNNNNNN directories), metrics.jsonl and loss.png go
 * @param resume {@code auto} (the latest checkpoint in checkpointDir, if any), {@code none}, or a
 *     checkpoint directory
 * @param initFrom weights a fresh run starts from (upstream's {@code --load} with {@code
 *     --start-from-scratch}): a checkpoint directory, loaded strictly into the model (and its EMA
 *     file into the EMA), with a fresh optimizer, data order and step 0; null for none. A run that
 *     finds a checkpoint to resume continues it instead
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
 * @param distTimeout seconds a collective may wait for the other ranks before the run stops with an
 *     error naming the rank at fault
 * @param precision auto (bf16 autocast on CUDA, fp32 on the CPU), fp32 or bf16
 * @param process the diffusion process to train: iddpm (the reference's) or rflow (rectified flow,
 *     Open-Sora 1.2's); noise schedule, prediction and learned sigma are IDDPM's settings
 * @param timestepSampling rectified flow: how t is drawn, uniform or logit-normal (1.2's)
 * @param timestepTransform rectified flow: shift t towards noise for larger and longer videos, as
 *     Open-Sora 1.2 trains with its VAE (its formula counts 17-frame chunks: videos of 2 to 16
 *     frames cannot use it); off by default
 * @param maskRatios rectified flow: how often each frame-mask type is drawn (upstream's {@code
 *     mask_ratios}; frames a mask marks as condition stay clean and do not count in the loss); null
 *     = no masks, every frame generated
 * @param bucketConfig resolution buckets ({@code {resolution: {num_frames: (keep_prob,
 *     batch_size)}}}, the reference's {@code bucket_config}): each sample is put in a bucket,
 *     brought to its size and length, and each batch comes from one bucket with that bucket's batch
 *     size (which replaces {@code batch_size}); needs a dataset of videos, not cached latents. Null
 *     = every sample as stored, {@code batch_size} per batch
 * @param modelFamily which model family the run trains: {@code dit} (jsora's DiT, the default) or
 *     {@code stdit3} (Open-Sora 1.2's STDiT3, rectified flow only; {@code arch}, {@code text_to_c}
 *     and the IDDPM settings do not apply to it)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder(alphabetic = false)
public record TrainConfig(
    @JsonProperty("model") String model,
    @JsonProperty("arch") Arch arch,
    @JsonProperty("model_config") String modelConfig,
    @JsonProperty("compressor") CompressorKind compressor,
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
    @JsonProperty("lr_schedule") LrScheduleKind lrSchedule,
    @JsonProperty("min_lr") double minLr,
    @JsonProperty("ema_decay") double emaDecay,
    @JsonProperty("grad_clip") double gradClip,
    @JsonProperty("noise_schedule") BetaSchedule noiseSchedule,
    @JsonProperty("prediction") Prediction prediction,
    @JsonProperty("learn_sigma") boolean learnSigma,
    @JsonProperty("text_dropout") double textDropout,
    @JsonProperty("grad_checkpoint") boolean gradCheckpoint,
    @JsonProperty("save_interval") long saveInterval,
    @JsonProperty("keep_last") int keepLast,
    @JsonProperty("checkpoint_dir") String checkpointDir,
    @JsonProperty("resume") ResumeSpec resume,
    @JsonProperty("init_from") String initFrom,
    @JsonProperty("seed") long seed,
    @JsonProperty("device") DeviceSpec device,
    @JsonProperty("log_interval") int logInterval,
    @JsonProperty("workers") int workers,
    @JsonProperty("nan_tolerance") int nanTolerance,
    @JsonProperty("text_to_c") boolean textToC,
    @JsonProperty("sp_size") int spSize,
    @JsonProperty("sp_mode") SpMode spMode,
    @JsonProperty("zero") int zero,
    @JsonProperty("dist_timeout") double distTimeout,
    @JsonProperty("precision") Precision precision,
    @JsonProperty("process") DiffusionProcess process,
    @JsonProperty("timestep_sampling") SampleMethod timestepSampling,
    @JsonProperty("timestep_transform") boolean timestepTransform,
    @JsonProperty("mask_ratios") MaskRatios maskRatios,
    @JsonProperty("bucket_config") BucketConfig bucketConfig,
    @JsonProperty("model_family") ModelFamily modelFamily) {

  /** The learning-rate schedule after warm-up. */
  public enum LrScheduleKind implements Choice {
    /** Cosine decay from the peak to {@code min_lr} over the run. */
    COSINE("cosine"),
    /** The peak rate throughout (the reference's). */
    CONSTANT("constant", "const");

    private final String id;
    private final List<String> aliases;

    LrScheduleKind(String id, String... aliases) {
      this.id = id;
      this.aliases = List.of(aliases);
    }

    @JsonValue
    @Override
    public String id() {
      return id;
    }

    @Override
    public List<String> aliases() {
      return aliases;
    }

    /** Parses {@code cosine} or {@code constant}. */
    @JsonCreator
    public static LrScheduleKind parse(String name) {
      return Choice.parse(LrScheduleKind.class, name);
    }

    @Override
    public String toString() {
      return id;
    }
  }

  @JsonCreator
  public TrainConfig {
    dataset = dataset == null ? List.of() : List.copyOf(dataset);
    precision = precision == null ? Precision.AUTO : precision;
    compressor = compressor == null ? CompressorKind.RAW : compressor;
    lrSchedule = lrSchedule == null ? LrScheduleKind.COSINE : lrSchedule;
    noiseSchedule = noiseSchedule == null ? BetaSchedule.LINEAR : noiseSchedule;
    prediction = prediction == null ? Prediction.EPS : prediction;
    resume = resume == null ? ResumeSpec.NONE : resume;
    device = device == null ? DeviceSpec.AUTO : device;
    spMode = spMode == null ? SpMode.ULYSSES : spMode;
    process = process == null ? DiffusionProcess.IDDPM : process;
    timestepSampling = timestepSampling == null ? SampleMethod.LOGIT_NORMAL : timestepSampling;
    if (maskRatios != null && process != DiffusionProcess.RFLOW) {
      throw new SettingException(
          "mask_ratios", "frame masks are trained with process rflow, not " + process);
    }
    modelFamily = modelFamily == null ? ModelFamily.DIT : modelFamily;
    checkFamily(modelFamily, model, arch, process, textToC);
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
    check(zero == 0 || zero == 2, "zero", zero, "0 or 2");
    check(distTimeout > 0, "dist_timeout", distTimeout, "> 0 (seconds)");
  }

  /** The settings that depend on the model family: its presets, and what it trains with. */
  private static void checkFamily(
      ModelFamily family, String model, Arch arch, DiffusionProcess process, boolean textToC) {
    switch (family) {
      case DIT -> {
        if (model != null && !DiTPresets.isPreset(model)) {
          throw new SettingException(
              "model",
              "'"
                  + model
                  + "' is not a DiT preset; known: "
                  + String.join(", ", DiTPresets.names())
                  + (STDiT3Presets.isPreset(model)
                      ? " (for STDiT3 set model_family: stdit3)"
                      : ""));
        }
      }
      case STDIT3 -> {
        if (model != null && !STDiT3Presets.isPreset(model)) {
          throw new SettingException(
              "model",
              "'"
                  + model
                  + "' is not an STDiT3 preset; known: "
                  + String.join(", ", STDiT3Presets.names()));
        }
        if (process != DiffusionProcess.RFLOW) {
          throw new SettingException(
              "process",
              "model_family stdit3 trains with rectified flow only (its velocity output and frame"
                  + " mask are rectified flow's): set process: rflow (--process rflow), not "
                  + process);
        }
        if (arch != null) {
          throw new SettingException(
              "arch", "is a DiT setting; model_family stdit3 has one architecture, got " + arch);
        }
        if (textToC) {
          throw new SettingException(
              "text_to_c", "is a DiT setting; model_family stdit3 does not take it");
        }
      }
    }
  }

  /** Default collective timeout in seconds. */
  public static final double DEFAULT_DIST_TIMEOUT = 120;

  private static void check(boolean ok, String name, Object value, String expected) {
    if (!ok) {
      throw new SettingException(name, "must be " + expected + ", got " + value);
    }
  }

  /**
   * The architecture to train: the one set here, else the model config file's (when {@code
   * model_config} is given, {@code fileArch}), else the presets' default, cross-attention.
   */
  public Arch effectiveArch(Arch fileArch) {
    if (arch != null) {
      return arch;
    }
    return fileArch != null ? fileArch : Arch.CROSS_ATTN;
  }

  /** The preset name, defaulting to the family's: the reference's DiT-S/8, or STDiT3-XL/2. */
  public String effectiveModel() {
    if (model != null) {
      return model;
    }
    return switch (modelFamily) {
      case DIT -> "DiT-S/8";
      case STDIT3 -> STDiT3Presets.DEFAULT;
    };
  }

  /**
   * The reference's defaults (one process): DiT-S/8 (model null: the family's preset) cross-attn on
   * raw video, lr 1e-4 cosine, EMA 0.9999, batch 4; resume auto.
   */
  public static TrainConfig defaults() {
    return new TrainConfig(
        null,
        null,
        null,
        CompressorKind.RAW,
        null,
        List.of(),
        null,
        10,
        0,
        4,
        1,
        1e-4,
        0,
        0,
        LrScheduleKind.COSINE,
        0,
        0.9999,
        0,
        BetaSchedule.LINEAR,
        Prediction.EPS,
        true,
        0.1,
        false,
        20,
        3,
        "checkpoints",
        ResumeSpec.AUTO,
        null,
        0,
        DeviceSpec.AUTO,
        10,
        2,
        20,
        false,
        1,
        SpMode.ULYSSES,
        0,
        DEFAULT_DIST_TIMEOUT,
        Precision.AUTO,
        DiffusionProcess.IDDPM,
        SampleMethod.LOGIT_NORMAL,
        false,
        null,
        null,
        ModelFamily.DIT);
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Settings changed in code (benchmarks, the demo, tests): start from {@link #defaults()} or a
   * config, set what differs; {@link #build()} checks everything as the constructor does.
   */
  public static final class Builder {
    private String model;
    private Arch arch;
    private String modelConfig;
    private CompressorKind compressor;
    private String compressorDir;
    private List<String> dataset;
    private String videoDir;
    private int epochs;
    private long maxSteps;
    private int batchSize;
    private int accumulationSteps;
    private double lr;
    private double weightDecay;
    private long warmupSteps;
    private LrScheduleKind lrSchedule;
    private double minLr;
    private double emaDecay;
    private double gradClip;
    private BetaSchedule noiseSchedule;
    private Prediction prediction;
    private boolean learnSigma;
    private double textDropout;
    private boolean gradCheckpoint;
    private long saveInterval;
    private int keepLast;
    private String checkpointDir;
    private ResumeSpec resume;
    private String initFrom;
    private long seed;
    private DeviceSpec device;
    private int logInterval;
    private int workers;
    private int nanTolerance;
    private boolean textToC;
    private int spSize;
    private SpMode spMode;
    private int zero;
    private double distTimeout;
    private Precision precision;
    private DiffusionProcess process;
    private SampleMethod timestepSampling;
    private boolean timestepTransform;
    private MaskRatios maskRatios;
    private BucketConfig bucketConfig;
    private ModelFamily modelFamily;

    private Builder(TrainConfig c) {
      this.model = c.model;
      this.arch = c.arch;
      this.modelConfig = c.modelConfig;
      this.compressor = c.compressor;
      this.compressorDir = c.compressorDir;
      this.dataset = c.dataset;
      this.videoDir = c.videoDir;
      this.epochs = c.epochs;
      this.maxSteps = c.maxSteps;
      this.batchSize = c.batchSize;
      this.accumulationSteps = c.accumulationSteps;
      this.lr = c.lr;
      this.weightDecay = c.weightDecay;
      this.warmupSteps = c.warmupSteps;
      this.lrSchedule = c.lrSchedule;
      this.minLr = c.minLr;
      this.emaDecay = c.emaDecay;
      this.gradClip = c.gradClip;
      this.noiseSchedule = c.noiseSchedule;
      this.prediction = c.prediction;
      this.learnSigma = c.learnSigma;
      this.textDropout = c.textDropout;
      this.gradCheckpoint = c.gradCheckpoint;
      this.saveInterval = c.saveInterval;
      this.keepLast = c.keepLast;
      this.checkpointDir = c.checkpointDir;
      this.resume = c.resume;
      this.initFrom = c.initFrom;
      this.seed = c.seed;
      this.device = c.device;
      this.logInterval = c.logInterval;
      this.workers = c.workers;
      this.nanTolerance = c.nanTolerance;
      this.textToC = c.textToC;
      this.spSize = c.spSize;
      this.spMode = c.spMode;
      this.zero = c.zero;
      this.distTimeout = c.distTimeout;
      this.precision = c.precision;
      this.process = c.process;
      this.timestepSampling = c.timestepSampling;
      this.timestepTransform = c.timestepTransform;
      this.maskRatios = c.maskRatios;
      this.bucketConfig = c.bucketConfig;
      this.modelFamily = c.modelFamily;
    }

    public Builder model(String v) {
      this.model = v;
      return this;
    }

    public Builder arch(Arch v) {
      this.arch = v;
      return this;
    }

    public Builder modelConfig(String v) {
      this.modelConfig = v;
      return this;
    }

    public Builder compressor(CompressorKind v) {
      this.compressor = v;
      return this;
    }

    public Builder compressorDir(String v) {
      this.compressorDir = v;
      return this;
    }

    public Builder dataset(List<String> v) {
      this.dataset = v;
      return this;
    }

    public Builder videoDir(String v) {
      this.videoDir = v;
      return this;
    }

    public Builder epochs(int v) {
      this.epochs = v;
      return this;
    }

    public Builder maxSteps(long v) {
      this.maxSteps = v;
      return this;
    }

    public Builder batchSize(int v) {
      this.batchSize = v;
      return this;
    }

    public Builder accumulationSteps(int v) {
      this.accumulationSteps = v;
      return this;
    }

    public Builder lr(double v) {
      this.lr = v;
      return this;
    }

    public Builder weightDecay(double v) {
      this.weightDecay = v;
      return this;
    }

    public Builder warmupSteps(long v) {
      this.warmupSteps = v;
      return this;
    }

    public Builder lrSchedule(LrScheduleKind v) {
      this.lrSchedule = v;
      return this;
    }

    public Builder minLr(double v) {
      this.minLr = v;
      return this;
    }

    public Builder emaDecay(double v) {
      this.emaDecay = v;
      return this;
    }

    public Builder gradClip(double v) {
      this.gradClip = v;
      return this;
    }

    public Builder noiseSchedule(BetaSchedule v) {
      this.noiseSchedule = v;
      return this;
    }

    public Builder prediction(Prediction v) {
      this.prediction = v;
      return this;
    }

    public Builder learnSigma(boolean v) {
      this.learnSigma = v;
      return this;
    }

    public Builder textDropout(double v) {
      this.textDropout = v;
      return this;
    }

    public Builder gradCheckpoint(boolean v) {
      this.gradCheckpoint = v;
      return this;
    }

    public Builder saveInterval(long v) {
      this.saveInterval = v;
      return this;
    }

    public Builder keepLast(int v) {
      this.keepLast = v;
      return this;
    }

    public Builder checkpointDir(String v) {
      this.checkpointDir = v;
      return this;
    }

    public Builder resume(ResumeSpec v) {
      this.resume = v;
      return this;
    }

    public Builder initFrom(String v) {
      this.initFrom = v;
      return this;
    }

    public Builder seed(long v) {
      this.seed = v;
      return this;
    }

    public Builder device(DeviceSpec v) {
      this.device = v;
      return this;
    }

    public Builder logInterval(int v) {
      this.logInterval = v;
      return this;
    }

    public Builder workers(int v) {
      this.workers = v;
      return this;
    }

    public Builder nanTolerance(int v) {
      this.nanTolerance = v;
      return this;
    }

    public Builder textToC(boolean v) {
      this.textToC = v;
      return this;
    }

    public Builder spSize(int v) {
      this.spSize = v;
      return this;
    }

    public Builder spMode(SpMode v) {
      this.spMode = v;
      return this;
    }

    public Builder zero(int v) {
      this.zero = v;
      return this;
    }

    public Builder distTimeout(double v) {
      this.distTimeout = v;
      return this;
    }

    public Builder precision(Precision v) {
      this.precision = v;
      return this;
    }

    public Builder process(DiffusionProcess v) {
      this.process = v;
      return this;
    }

    public Builder timestepSampling(SampleMethod v) {
      this.timestepSampling = v;
      return this;
    }

    public Builder timestepTransform(boolean v) {
      this.timestepTransform = v;
      return this;
    }

    public Builder maskRatios(MaskRatios v) {
      this.maskRatios = v;
      return this;
    }

    public Builder bucketConfig(BucketConfig v) {
      this.bucketConfig = v;
      return this;
    }

    public Builder modelFamily(ModelFamily v) {
      this.modelFamily = v;
      return this;
    }

    public TrainConfig build() {
      return new TrainConfig(
          model,
          arch,
          modelConfig,
          compressor,
          compressorDir,
          dataset,
          videoDir,
          epochs,
          maxSteps,
          batchSize,
          accumulationSteps,
          lr,
          weightDecay,
          warmupSteps,
          lrSchedule,
          minLr,
          emaDecay,
          gradClip,
          noiseSchedule,
          prediction,
          learnSigma,
          textDropout,
          gradCheckpoint,
          saveInterval,
          keepLast,
          checkpointDir,
          resume,
          initFrom,
          seed,
          device,
          logInterval,
          workers,
          nanTolerance,
          textToC,
          spSize,
          spMode,
          zero,
          distTimeout,
          precision,
          process,
          timestepSampling,
          timestepTransform,
          maskRatios,
          bucketConfig,
          modelFamily);
    }
  }
}
