package io.jsora.bench;

import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTCost;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.CompressorShape;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.ParallelContext;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Precision;
import io.jsora.train.StepTimer;
import io.jsora.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.Device;

/**
 * Whole training steps through {@link Trainer}: data loading, forward, loss, backward, gradient
 * communication, clipping, AdamW and EMA, on synthetic clips of the requested size preprocessed
 * with the built-in text encoder (or on a given preprocessed dataset). The first {@code warmup}
 * steps are excluded; the step time is the sum of its phases, measured by the trainer's step timer.
 * The checkpoint the run writes at its end is reported apart, not counted in the step; the peak
 * memory is read after the last optimizer update, before that checkpoint (which, under ZeRO-2,
 * gathers the whole optimizer state).
 */
public final class TrainBench {
  private TrainBench() {}

  /**
   * What to run.
   *
   * @param model DiT preset
   * @param arch conditioning architecture
   * @param compressor raw, vqvae or vae
   * @param compressorDir the learnt compressor's weights, null for its default
   * @param frames clip frames (pixels)
   * @param height clip height (pixels)
   * @param width clip width (pixels)
   * @param batch micro-batch per data-parallel replica
   * @param accumulation micro-batches per step
   * @param textLen text tokens counted in the model FLOPs when a dataset is given (synthetic data
   *     uses its encoder's length)
   * @param gradCheckpoint activation checkpointing
   * @param precision auto, fp32 or bf16
   * @param spSize sequence-parallel group size
   * @param zero ZeRO stage (0 or 2)
   * @param workers batch-building threads
   * @param dataset a preprocessed dataset to train on instead of synthetic clips, or null
   * @param device cpu, cuda, cuda:N or auto
   */
  public record Options(
      String model,
      Arch arch,
      CompressorKind compressor,
      Path compressorDir,
      int frames,
      int height,
      int width,
      int batch,
      int accumulation,
      int textLen,
      boolean gradCheckpoint,
      Precision precision,
      int spSize,
      int zero,
      int workers,
      Path dataset,
      DeviceSpec device,
      DistEnv env,
      io.jsora.checkpoint.HubCache hub) {}

  /**
   * Runs {@code warmup + runs} training steps and returns one record {@code train_step} (on every
   * rank; callers print rank 0's).
   *
   * @param peakTflops one process's matmul peak; MFU is the job's model FLOP/s over world × this
   */
  public static List<BenchRecord> run(Options o, int warmup, int runs, double peakTflops)
      throws Exception {
    return run(o, warmup, runs, peakTflops, false);
  }

  /**
   * {@link #run(Options, int, int, double)}, with {@code profile} the timed steps also under a
   * {@link Profile} (its table in {@code extra.profile}; rows {@code (data)}, {@code (forward)},
   * {@code (backward)}, {@code (communication)}, {@code (optimizer)} are each phase's time outside
   * the model's spans). Profiling costs a little time per span, so the step times are then a little
   * longer than without.
   */
  public static List<BenchRecord> run(
      Options o, int warmup, int runs, double peakTflops, boolean profile) throws Exception {
    Natives.load();
    Path work = Files.createTempDirectory("jsora-bench-train");
    try {
      return measure(o, work, warmup, runs, peakTflops, profile);
    } finally {
      io.jsora.checkpoint.AtomicFiles.deleteTree(work);
    }
  }

  /**
   * Estimates the longest sequence that fits in {@code limitBytes} per rank: runs two more steps at
   * half the frames, fits peak memory = fixed + per-token × tokens held per rank through the two
   * measured peaks, and solves for the limit. Every rank of a job must call it (the run is
   * collective).
   *
   * @param measured the {@code train_step} record of {@link #run} with {@code o}
   * @return {@code measured} with {@code extra.memory_fit}, or unchanged where a peak is unknown or
   *     the frames cannot be halved
   */
  public static BenchRecord fitMemory(Options o, BenchRecord measured, long limitBytes)
      throws Exception {
    CompressorShape c = CompressorShape.of(o.compressor());
    int latentFrames = o.frames() / c.t();
    if (measured.peakMemBytes() == null || latentFrames < 2) {
      return measured;
    }
    Options half =
        new Options(
            o.model(),
            o.arch(),
            o.compressor(),
            o.compressorDir(),
            latentFrames / 2 * c.t(),
            o.height(),
            o.width(),
            o.batch(),
            o.accumulation(),
            o.textLen(),
            o.gradCheckpoint(),
            o.precision(),
            o.spSize(),
            o.zero(),
            o.workers(),
            null,
            o.device(),
            o.env(),
            o.hub());
    // two steps: the optimizer state is made in the first step's update, so only the second step
    // reaches the peak a longer run has
    BenchRecord small = run(half, 1, 1, 0).get(0);
    if (small.peakMemBytes() == null) {
      return measured;
    }
    double tokensPerSample = ((Number) measured.config().get("tokens_per_sample")).doubleValue();
    double t1 = o.batch() * tokensPerSample / o.spSize();
    double t2 =
        o.batch() * ((Number) small.config().get("tokens_per_sample")).doubleValue() / o.spSize();
    Map<String, Object> fit =
        fit(
            t2,
            small.peakMemBytes(),
            t1,
            measured.peakMemBytes(),
            limitBytes,
            o.spSize(),
            o.batch(),
            tokensPerSample / latentFrames,
            c.t());
    Map<String, Object> extra = new LinkedHashMap<>(measured.extra());
    extra.put("memory_fit", fit);
    return measured.withExtra(extra);
  }

  /**
   * The line through two (tokens held per rank, peak bytes) measurements, solved for {@code
   * limitBytes}: {@code bytes_per_token}, {@code fixed_bytes}, {@code max_tokens_per_rank}, and
   * what that is per sample ({@code max_sequence_per_sample}) and in frames ({@code max_frames});
   * only the measurements when the peaks do not grow with the tokens.
   */
  static Map<String, Object> fit(
      double tokensA,
      double peakA,
      double tokensB,
      double peakB,
      long limitBytes,
      int spSize,
      int batch,
      double tokensPerLatentFrame,
      int frameFactor) {
    Map<String, Object> fit = new LinkedHashMap<>();
    fit.put("limit_bytes", limitBytes);
    fit.put("tokens_per_rank", List.of((long) tokensA, (long) tokensB));
    fit.put("peak_bytes", List.of((long) peakA, (long) peakB));
    if (peakB > peakA && tokensB > tokensA) {
      double perToken = (peakB - peakA) / (tokensB - tokensA);
      double fixed = peakB - perToken * tokensB;
      double maxPerRank = Math.max(0, (limitBytes - fixed) / perToken);
      double perSample = maxPerRank * spSize / batch;
      fit.put("bytes_per_token", perToken);
      fit.put("fixed_bytes", fixed);
      fit.put("max_tokens_per_rank", (long) maxPerRank);
      fit.put("max_sequence_per_sample", (long) perSample);
      fit.put("max_frames", (long) Math.floor(perSample / tokensPerLatentFrame) * frameFactor);
    }
    return fit;
  }

  private static List<BenchRecord> measure(
      Options o, Path work, int warmup, int runs, double peakTflops, boolean profile)
      throws Exception {
    int world = o.env().worldSize();
    int replicas = Math.max(1, world / Math.max(1, o.spSize()));
    Path dataset = o.dataset();
    int textLen = o.textLen();
    if (dataset == null) {
      int count = Math.max(8, 2 * o.batch() * o.accumulation() * replicas);
      try (Device dev = io.jsora.tensor.Devices.resolve(o.device())) {
        BenchData.Prepared p =
            BenchData.prepare(
                work,
                count,
                o.frames(),
                o.height(),
                o.width(),
                o.compressor(),
                o.compressorDir(),
                0,
                dev,
                o.hub());
        dataset = p.dataset();
        textLen = p.textLen();
      }
    }
    TrainConfig cfg =
        TrainConfig.defaults().toBuilder()
            .model(o.model())
            .arch(o.arch())
            .compressor(o.compressor())
            .compressorDir(o.compressorDir() == null ? null : o.compressorDir().toString())
            .dataset(List.of(dataset.toString()))
            .maxSteps((long) warmup + runs)
            .batchSize(o.batch())
            .accumulationSteps(o.accumulation())
            .gradCheckpoint(o.gradCheckpoint())
            .precision(o.precision())
            .spSize(o.spSize())
            .zero(o.zero())
            .workers(o.workers())
            .device(o.device())
            .checkpointDir(work.resolve("run").toString())
            .resume(ResumeSpec.NONE)
            .saveInterval(0)
            .keepLast(1)
            .logInterval(1_000_000)
            .build();

    Map<Long, EnumMap<StepTimer.Phase, Long>> steps = new TreeMap<>();
    Memory.Peak[] peak = new Memory.Peak[1];
    long[] stepPeak = {
      -1
    }; // the peak through the last optimizer update, before the final checkpoint
    Map<Long, EnumMap<StepTimer.Phase, Long>> phasePeaks = new TreeMap<>();
    Profile[] prof = new Profile[1];
    ProfileTable[] profTable = new ProfileTable[1];
    Trainer.Result result;
    DiTConfig mc;
    ParallelContext ctx;
    String deviceName;
    try (Trainer trainer = new Trainer(cfg, o.env(), o.hub())) {
      mc = trainer.modelConfig();
      ctx = trainer.parallelContext();
      world = ctx.worldSize();
      replicas = ctx.dpSize();
      trainer.listen(
          (StepTimer)
              (step, micro, phase, nanos) -> {
                steps
                    .computeIfAbsent(step, k -> new EnumMap<>(StepTimer.Phase.class))
                    .merge(phase, nanos, Long::sum);
                if (prof[0] != null && phase != StepTimer.Phase.CHECKPOINT) {
                  prof[0].phaseEnd(phase.name().toLowerCase(Locale.ROOT));
                  if (phase == StepTimer.Phase.OPTIMIZER) {
                    prof[0].stepDone();
                    if (step == warmup + runs - 1) {
                      prof[0].close();
                      profTable[0] = prof[0].table();
                      prof[0] = null;
                    }
                  }
                }
                if (profile
                    && profTable[0] == null
                    && prof[0] == null
                    && phase == StepTimer.Phase.OPTIMIZER
                    && step == warmup - 1) {
                  prof[0] = Profile.start(); // the timed steps start here, on the training thread
                }
                if (phase != StepTimer.Phase.CHECKPOINT) {
                  long now =
                      peak[0].bytes(); // monotonic: where it grows is where the peak is reached
                  phasePeaks
                      .computeIfAbsent(step, k -> new EnumMap<>(StepTimer.Phase.class))
                      .put(phase, now);
                  if (phase == StepTimer.Phase.OPTIMIZER) {
                    stepPeak[0] = now;
                  }
                }
              });
      try (Device probe = io.jsora.tensor.Devices.resolve(o.device())) {
        peak[0] = Memory.startPeak(probe);
        deviceName = io.jsora.tensor.Devices.name(probe);
      }
      if (profile && warmup == 0) {
        prof[0] = Profile.start();
      }
      try {
        result = trainer.run();
      } finally {
        if (prof[0] != null) {
          prof[0].close();
        }
      }
    }
    long peakBytes = stepPeak[0];
    long peakWithCheckpoint = peak[0].bytes();

    // step times, warm-up excluded; the final checkpoint apart
    List<Double> stepSeconds = new ArrayList<>();
    Map<StepTimer.Phase, List<Double>> phases = new EnumMap<>(StepTimer.Phase.class);
    double checkpointSeconds = 0;
    for (Map.Entry<Long, EnumMap<StepTimer.Phase, Long>> e : steps.entrySet()) {
      checkpointSeconds += e.getValue().getOrDefault(StepTimer.Phase.CHECKPOINT, 0L) / 1e9;
      if (e.getKey() < warmup) {
        continue;
      }
      double total = 0;
      for (StepTimer.Phase ph : StepTimer.Phase.values()) {
        if (ph == StepTimer.Phase.CHECKPOINT) {
          continue;
        }
        double s = e.getValue().getOrDefault(ph, 0L) / 1e9;
        phases.computeIfAbsent(ph, k -> new ArrayList<>()).add(s);
        total += s;
      }
      stepSeconds.add(total);
    }
    if (stepSeconds.isEmpty()) {
      throw new IllegalStateException(
          "the run timed no step after the warm-up (" + result.steps() + " steps ran)");
    }
    Timing t = Timing.of(stepSeconds);

    long[] lat = CompressorShape.of(o.compressor()).latent(o.frames(), o.height(), o.width());
    long samplesPerStep = (long) o.batch() * o.accumulation() * replicas;
    double tokensPerSample = DiTCost.videoTokens(mc, lat[1], lat[2], lat[3]);
    double flopsPerStep =
        3 * 2 * DiTCost.forwardMacs(mc, lat[1], lat[2], lat[3], textLen) * samplesPerStep;
    double step = t.median();

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("model", mc.modelArch() + " " + o.model());
    config.put("compressor", o.compressor());
    config.put("frames", o.frames());
    config.put("height", o.height());
    config.put("width", o.width());
    config.put("batch", o.batch());
    config.put("accumulation", o.accumulation());
    config.put("world", world);
    config.put("sp_size", o.spSize());
    config.put("zero", o.zero());
    config.put("grad_checkpoint", o.gradCheckpoint());
    config.put("precision", o.precision());
    config.put("samples_per_step", samplesPerStep);
    config.put("tokens_per_sample", (long) tokensPerSample);
    config.put("device", deviceName);
    config.put("threads", Natives.threads());
    config.put("blas_threads", Natives.blasThreads());

    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("steps_per_s", 1 / step);
    extra.put("samples_per_s", samplesPerStep / step);
    Map<String, Object> split = new LinkedHashMap<>();
    for (Map.Entry<StepTimer.Phase, List<Double>> e : phases.entrySet()) {
      double med = Timing.of(e.getValue()).median();
      split.put(e.getKey().name().toLowerCase(Locale.ROOT) + "_s", med);
    }
    extra.put("phase_median_s", split);
    extra.put("final_checkpoint_s", checkpointSeconds);
    if (!phasePeaks.isEmpty() && stepPeak[0] > 0) {
      // the peak so far after each phase of the first two steps: which phase sets it
      Map<String, Object> growth = new LinkedHashMap<>();
      phasePeaks.entrySet().stream()
          .limit(2)
          .forEach(
              e ->
                  e.getValue()
                      .forEach(
                          (ph, b) ->
                              growth.put(
                                  "step" + e.getKey() + "_" + ph.name().toLowerCase(Locale.ROOT),
                                  b)));
      extra.put("peak_mem_after_phase_bytes", growth);
    }
    if (peakWithCheckpoint > 0) {
      extra.put("peak_mem_with_final_checkpoint_bytes", peakWithCheckpoint);
    }
    extra.put("final_loss", result.lastLoss());
    if (profTable[0] != null) {
      extra.put("profile", profTable[0]);
    }

    double tflops = flopsPerStep / step / 1e12;
    BenchRecord r =
        BenchRecord.of("train_step", config, t)
            .withTokensPerS(samplesPerStep * tokensPerSample / step)
            .withTflops(tflops)
            .withExtra(extra);
    if (peakBytes > 0) {
      r = r.withPeakMem(peakBytes);
    }
    if (peakTflops > 0) {
      r = r.withMfu(tflops / (peakTflops * world));
    }
    return List.of(r);
  }
}
