package io.jsora.cli;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.rflow.MaskType;
import io.jsora.diffusion.rflow.SampleMethod;
import io.jsora.model.dit.Arch;
import io.jsora.model.vae.CompressorKind;
import io.jsora.parallel.SpMode;
import io.jsora.run.DiffusionProcess;
import io.jsora.run.ModelFamily;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Precision;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The flags of {@code jsora train}, typed as {@link TrainConfig} types them and named as its config
 * keys, so the flags given on the command line become a JSON tree (Jackson, absent flags left out)
 * laid over the defaults and the {@code --config} file: one binding, one set of defaults ({@link
 * TrainConfig#defaults()}), no map of strings. Picocli converts each value on the way in (enums
 * through their {@code parse}), so a bad value fails naming the flag before anything is opened.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonAutoDetect(
    fieldVisibility = JsonAutoDetect.Visibility.ANY,
    getterVisibility = JsonAutoDetect.Visibility.NONE)
final class TrainFlags {
  @JsonProperty("model_family")
  @Option(
      names = "--model-family",
      description =
          "dit (jsora's DiT) or stdit3 (Open-Sora 1.2's STDiT3; needs --process rflow) (default dit).")
  ModelFamily modelFamily;

  @JsonProperty("model")
  @Option(
      names = {"-m", "--model"},
      description =
          "Preset of the family: DiT-S/8, DiT-B/4, DiT-T/4, ... (default DiT-S/8); STDiT3-XL/2,"
              + " STDiT3-T/2 (default STDiT3-XL/2).")
  String model;

  @JsonProperty("arch")
  @Option(
      names = {"-x", "--arch", "--model-arch"},
      description =
          "adaln, cross-attn, token-concat or self-cross (default: the --model-config file's, else cross-attn).")
  Arch arch;

  @JsonProperty("model_config")
  @Option(
      names = "--model-config",
      paramLabel = "CONFIG.json",
      description =
          "A model config JSON instead of a preset: a DiT config (its model_arch is kept unless -x"
              + " is given), or for stdit3 an upstream STDiT3 config.json or its directory.")
  String modelConfig;

  @JsonProperty("compressor")
  @Option(
      names = {"-c", "--compressor"},
      description = "raw, vqvae, vae or osvae (default raw; must match cached latents).")
  CompressorKind compressor;

  @JsonProperty("compressor_dir")
  @Option(
      names = "--compressor-dir",
      paramLabel = "DIR|ID",
      description = "The compressor's model directory or Hugging Face id.")
  String compressorDir;

  @JsonProperty("dataset")
  @Option(
      names = {"-d", "--dataset"},
      arity = "1..*",
      paramLabel = "DIR",
      description = "Preprocessed dataset directory.")
  List<String> dataset;

  @JsonProperty("video_dir")
  @Option(
      names = {"-v", "--video-dir"},
      paramLabel = "DIR",
      description = "Videos, when latents are not cached (default: recorded in the dataset).")
  String videoDir;

  @JsonProperty("epochs")
  @Option(
      names = {"-e", "--epochs"},
      description = "Passes over the data, when --max-steps is 0 (default 10).")
  Integer epochs;

  @JsonProperty("max_steps")
  @Option(
      names = "--max-steps",
      description = "Optimizer steps; 0 = epochs x steps per epoch (default 0).")
  Long maxSteps;

  @JsonProperty("batch_size")
  @Option(
      names = {"-b", "--batch-size"},
      description = "Samples per micro-batch per data-parallel replica (default 4).")
  Integer batchSize;

  @JsonProperty("accumulation_steps")
  @Option(
      names = {"-a", "--accumulation-steps"},
      description = "Micro-batches per optimizer step (default 1).")
  Integer accumulationSteps;

  @JsonProperty("lr")
  @Option(names = "--lr", description = "Peak learning rate (default 1e-4).")
  Double lr;

  @JsonProperty("weight_decay")
  @Option(
      names = "--weight-decay",
      description = "AdamW weight decay on >=2-D weights (default 0).")
  Double weightDecay;

  @JsonProperty("warmup_steps")
  @Option(names = "--warmup-steps", description = "Linear warm-up steps (default 0).")
  Long warmupSteps;

  @JsonProperty("lr_schedule")
  @Option(names = "--lr-schedule", description = "cosine or constant (default cosine).")
  TrainConfig.LrScheduleKind lrSchedule;

  @JsonProperty("min_lr")
  @Option(names = "--min-lr", description = "Floor of the cosine schedule (default 0).")
  Double minLr;

  @JsonProperty("ema_decay")
  @Option(names = "--ema-decay", description = "EMA decay (default 0.9999).")
  Double emaDecay;

  @JsonProperty("grad_clip")
  @Option(
      names = "--grad-clip",
      description = "Clip the global gradient norm; 0 = measure only (default 0).")
  Double gradClip;

  @JsonProperty("noise_schedule")
  @Option(names = "--noise-schedule", description = "linear or cosine (default linear).")
  BetaSchedule noiseSchedule;

  @JsonProperty("prediction")
  @Option(names = "--prediction", description = "eps, v or x0 (default eps).")
  Prediction prediction;

  @JsonProperty("learn_sigma")
  @Option(
      names = "--learn-sigma",
      negatable = true,
      description = "Learned-range variance (default true).")
  Boolean learnSigma;

  @JsonProperty("text_dropout")
  @Option(
      names = "--text-dropout",
      description = "Probability of the null text in training, for guidance (default 0.1).")
  Double textDropout;

  @JsonProperty("text_to_c")
  @Option(
      names = "--text-to-c",
      negatable = true,
      description = "cross-attn/self-cross: also add the mean text to the conditioning vector.")
  Boolean textToC;

  @JsonProperty("grad_checkpoint")
  @Option(
      names = {"-g", "--grad-checkpoint"},
      negatable = true,
      description = "Recompute block activations in backward.")
  Boolean gradCheckpoint;

  @JsonProperty("save_interval")
  @Option(
      names = "--save-interval",
      description = "Optimizer steps between checkpoints; 0 = only at the end (default 20).")
  Long saveInterval;

  @JsonProperty("keep_last")
  @Option(names = "--keep-last", description = "Checkpoints kept, 0 = all (default 3).")
  Integer keepLast;

  @JsonProperty("checkpoint_dir")
  @Option(
      names = "--checkpoint-dir",
      paramLabel = "DIR",
      description = "Where checkpoints and logs go (default checkpoints).")
  String checkpointDir;

  @JsonProperty("resume")
  @Option(
      names = "--resume",
      paramLabel = "auto|DIR|none",
      description =
          "auto: continue from the latest checkpoint in --checkpoint-dir if any (default); DIR: from that checkpoint; none: start fresh.")
  ResumeSpec resume;

  @JsonProperty("init_from")
  @Option(
      names = "--init-from",
      paramLabel = "DIR",
      description =
          "Fine-tune: start from these weights (a jsora checkpoint directory, or an Open-Sora 1.2 STDiT3 directory), "
              + "loaded strictly, with a fresh optimizer, data order and step 0; a run that finds a checkpoint to resume continues it instead.")
  String initFrom;

  @JsonProperty("seed")
  @Option(
      names = "--seed",
      description = "Seed of initialisation, data order and noise (default 0).")
  Long seed;

  @JsonProperty("device")
  @Option(names = "--device", description = "cpu, cuda, cuda:N or auto (default auto).")
  DeviceSpec device;

  @JsonProperty("log_interval")
  @Option(
      names = "--log-interval",
      description = "Steps between log lines when no progress bar is shown (default 10).")
  Integer logInterval;

  @JsonProperty("workers")
  @Option(names = "--workers", description = "Background threads building batches (default 2).")
  Integer workers;

  @JsonProperty("precision")
  @Option(
      names = "--precision",
      description = "auto (bf16 autocast on CUDA, fp32 on CPU), fp32 or bf16 (default auto).")
  Precision precision;

  @JsonProperty("process")
  @Option(
      names = "--process",
      description =
          "iddpm (Gaussian diffusion, the reference's) or rflow (rectified flow, Open-Sora 1.2's) (default iddpm).")
  DiffusionProcess process;

  @JsonProperty("timestep_sampling")
  @Option(
      names = "--timestep-sampling",
      description = "rflow: uniform or logit-normal timesteps (default logit-normal).")
  SampleMethod timestepSampling;

  @JsonProperty("timestep_transform")
  @Option(
      names = "--timestep-transform",
      negatable = true,
      description =
          "rflow: shift timesteps towards noise for larger, longer videos, as Open-Sora 1.2 (1 or >= 17 frames; default false).")
  Boolean timestepTransform;

  @JsonProperty("mask_ratios")
  @Option(
      names = "--mask-ratio",
      paramLabel = "TYPE=P",
      description =
          "rflow: draw frame-mask TYPE with probability P (repeatable; identity takes the rest): "
              + "image_head, image_tail, image_head_tail, image_random, quarter_head, quarter_tail, "
              + "quarter_head_tail, quarter_random, random, interpolate.")
  java.util.LinkedHashMap<MaskType, Double> maskRatios;

  @JsonProperty("bucket_config")
  @Option(
      names = "--bucket-config",
      paramLabel = "FILE|JSON",
      description =
          "Resolution buckets {resolution: {num_frames: (keep_prob, batch_size)}} as JSON or the reference's Python "
              + "spelling, inline or in FILE: each batch comes from one bucket, samples resized and cropped to its size "
              + "(replaces --batch-size; needs videos, not cached latents).")
  String bucketConfig;

  @JsonProperty("nan_tolerance")
  @Option(
      names = "--nan-tolerance",
      description = "NaN/inf steps in a row before stopping (default 20).")
  Integer nanTolerance;

  @JsonProperty("sp_size")
  @Option(
      names = "--sp-size",
      description =
          "Sequence-parallel group size: each sample's tokens are split over this many ranks (default 1).")
  Integer spSize;

  @JsonProperty("sp_mode")
  @Option(
      names = "--sp-mode",
      description = "Sequence-parallel attention: ulysses or fastseq (default ulysses).")
  SpMode spMode;

  @JsonProperty("zero")
  @Option(
      names = "--zero",
      description =
          "ZeRO stage: 0 (optimizer state on every rank) or 2 (optimizer state and gradients sharded) (default 0).")
  Integer zero;

  @JsonProperty("dist_timeout")
  @Option(
      names = "--dist-timeout",
      description =
          "Seconds a collective may wait for the other ranks before the job stops with an error naming the rank at fault (default 120).")
  Double distTimeout;
}
