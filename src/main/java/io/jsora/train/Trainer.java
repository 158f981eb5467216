package io.jsora.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.StateDict;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.Batch;
import io.jsora.data.BucketSampler;
import io.jsora.data.LatentSpec;
import io.jsora.data.Loader;
import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.GaussianDiffusion;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.diffusion.VarianceType;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.dit.TextConditioning;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.model.vae.VqVaeCompressor;
import io.jsora.parallel.AdamWConfig;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.DistributedException;
import io.jsora.parallel.GradientSync;
import io.jsora.parallel.ParallelContext;
import io.jsora.parallel.ParallelOptions;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.CompressorRef;
import io.jsora.run.DataInfo;
import io.jsora.run.ModelSpec;
import io.jsora.run.ProcessSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TextInput;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Autocast;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a DiT on a preprocessed dataset: the loop that ties data, model, diffusion, optimizer, EMA
 * and checkpoints together.
 *
 * <p>One optimizer step: for each of {@code accumulation_steps} micro-batches, draw each sample's
 * timestep, noise and text dropout from its own stream keyed by (seed, micro-step, sample index),
 * so results do not depend on how samples are spread over batches or processes; compute the
 * diffusion loss and back-propagate {@code loss / accumulation}. Then set the learning rate for the
 * step, measure (and optionally clip) the gradient norm, let the NaN guard veto the update, step
 * AdamW and the EMA. Every micro-step runs in its own {@code PointerScope}.
 *
 * <p>Resume restores weights, EMA, optimizer state, step, schedule and the data sampler's position,
 * so N steps + resume + N steps equals 2N steps exactly.
 *
 * <h2>Several processes</h2>
 *
 * The trainer joins the job its environment describes ({@code jsora launch}, torchrun, SLURM; see
 * {@link DistEnv}) or the {@link ParallelContext} it is given; one process needs neither and runs
 * exactly as without them. With world size W and {@code sp_size} P there are W/P data-parallel
 * replicas: replica r takes slices {@code m·(W/P) + r} of each step's global batch (so sample i of
 * micro-batch m has index {@code m·b·(W/P) + r·b + i} for its randomness, and a step sees the same
 * rows and noise however it is split), the P ranks of a replica split each sample's tokens ({@link
 * DiT#setSequenceParallel}). Parameters are broadcast from rank 0 at the start; gradients are
 * averaged with a bucketed all-reduce ({@link GradientSync}) before libtorch's AdamW, or, with
 * {@code zero: 2}, reduce-scattered into {@link ShardedAdamW}'s shards. Loss and metrics are
 * averaged over the replicas, so the NaN guard decides alike on every rank. Only rank 0 writes
 * checkpoints (with the full optimizer state, gathered under ZeRO-2), {@code metrics.jsonl}, {@code
 * loss.png}, and logs at info level; every rank resumes from the same checkpoint.
 */
public final class Trainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a run did.
   *
   * @param steps the run's step count at the end (the checkpoint's step)
   * @param trained optimizer steps this call ran (0 when a resumed run was already complete)
   * @param lastLoss the last step's loss; NaN when no step ran
   * @param lastCheckpoint the newest checkpoint (the resumed one when nothing was trained)
   * @param nanSkipped steps skipped by the NaN guard over the whole run
   * @param seconds wall time of this call
   */
  public record Result(
      long steps,
      long trained,
      double lastLoss,
      Path lastCheckpoint,
      long nanSkipped,
      double seconds) {
    /** Whether the run had already reached its last step before this call. */
    public boolean alreadyComplete() {
      return trained == 0 && lastCheckpoint != null;
    }
  }

  private final TrainConfig cfg;
  private final Path runDir;
  private final ParallelContext givenContext;
  private final DistEnv env;
  private final HubCache hub;
  private ParallelContext ctx;
  private Throwable failure;
  private final Map<String, Path> attachments = new LinkedHashMap<>();
  // built in the constructor; close() releases whatever was built, also after a failure midway
  private Device device;
  private ArrowVideoDataset dataset;
  private VideoCompressor compressor;
  private DiTConfig modelConfig;
  private DiT model;
  private DiffusionConfig diffusionConfig;
  private GaussianDiffusion diffusion;
  private AdamWOptimizer optimizer;
  private ShardedAdamW sharded;
  private GradientSync gradSync;
  private Ema ema;
  private Checkpointer checkpointer;
  private DataInfo dataInfo;
  private String textEncoderId;
  private final List<TrainListener> listeners = new ArrayList<>();

  /**
   * Builds everything a one-process run needs; nothing trains until {@link #run()}.
   *
   * @throws IOException when the dataset, compressor or checkpoint cannot be read
   * @throws IllegalArgumentException when settings contradict each other or the data
   */
  public Trainer(TrainConfig cfg) throws IOException {
    this(cfg, DistEnv.single(), HubCache.NONE, null);
  }

  /**
   * Builds everything a run needs in the job {@code env} describes ({@code jsora launch}, torchrun,
   * SLURM: the command line reads it from the environment; one process when no launcher set any
   * variable). The trainer owns the job it joins: {@link #close} ends it (or tells the other ranks
   * this one failed).
   */
  public Trainer(TrainConfig cfg, DistEnv env) throws IOException {
    this(cfg, env, HubCache.NONE, null);
  }

  /**
   * As {@link #Trainer(TrainConfig, DistEnv)}, finding compressors named by a Hugging Face id in
   * {@code hub} (the command line passes the cache its environment describes).
   */
  public Trainer(TrainConfig cfg, DistEnv env, HubCache hub) throws IOException {
    this(cfg, env, hub, null);
  }

  /**
   * Builds everything a run needs inside a distributed job the caller owns, whose SP size must be
   * {@code cfg.spSize()}.
   */
  public Trainer(TrainConfig cfg, ParallelContext context) throws IOException {
    this(cfg, context.env(), HubCache.NONE, context);
  }

  private Trainer(TrainConfig cfg, DistEnv env, HubCache hub, ParallelContext context)
      throws IOException {
    this.cfg = cfg;
    this.runDir = Path.of(cfg.checkpointDir());
    this.env = env;
    this.hub = hub;
    this.givenContext = context;
    if (cfg.dataset().size() != 1) {
      throw new IllegalArgumentException(
          "--dataset: give exactly one preprocessed dataset directory, got "
              + cfg.dataset().size());
    }
    try {
      build();
    } catch (IOException | RuntimeException e) {
      failure = e;
      close();
      throw e;
    }
  }

  /** The process-group settings {@code cfg} describes. */
  public static ParallelOptions parallelOptions(TrainConfig cfg) {
    return ParallelOptions.defaults()
        .withSpSize(cfg.spSize())
        .withTimeout(Duration.ofMillis(Math.round(cfg.distTimeout() * 1000)));
  }

  private void build() throws IOException {
    device = processDevice(cfg.device(), env);
    if (givenContext != null) {
      if (givenContext.spSize() != cfg.spSize()) {
        throw new IllegalArgumentException(
            "sp_size "
                + cfg.spSize()
                + " differs from the job's sequence-parallel size "
                + givenContext.spSize());
      }
      ctx = givenContext;
    } else {
      ctx = ParallelContext.create(env, parallelOptions(cfg), device.is_cuda());
    }
    Seeds.manualSeed(cfg.seed());
    Path dsDir = Path.of(cfg.dataset().get(0));
    dataset =
        ArrowVideoDataset.open(dsDir, cfg.videoDir() == null ? null : Path.of(cfg.videoDir()));
    ArrowVideoDataset.Info info = dataset.info();
    if (dataset.size() == 0) {
      throw new IllegalArgumentException(dsDir + ": the dataset has no rows");
    }
    CompressorKind compressorKind = cfg.compressor();
    if (dataset.hasLatents()
        && info.compressor() != null
        && !info.compressor().equals(compressorKind.id())) {
      throw new IllegalArgumentException(
          "compressor "
              + compressorKind
              + ": the dataset "
              + dsDir
              + " caches latents made by '"
              + info.compressor()
              + "'; train with compressor "
              + info.compressor()
              + " or preprocess again");
    }
    compressor =
        Compressors.load(
            compressorKind,
            cfg.compressorDir() == null ? null : Path.of(cfg.compressorDir()),
            device,
            io.jsora.model.vae.CompressorOptions.defaults(),
            hub);
    textEncoderId = info.textEncoder();
    if (textEncoderId != null && textEncoderId.startsWith("builtin:")) {
      attachments.put("text_encoder", Path.of(textEncoderId.substring("builtin:".length())));
    }
    long textDim;
    try (Tensor first = dataset.textStates(0)) {
      long[] s = Shapes.of(first);
      textDim = s[s.length - 1];
    }
    modelConfig =
        modelConfigOf(cfg)
            .withInChannels(compressor.latentChannels())
            .withTextEmbedDim((int) textDim)
            .withLearnSigma(cfg.learnSigma())
            .withTextDropoutProb(cfg.textDropout())
            .withGradCheckpoint(cfg.gradCheckpoint())
            .withTextToC(cfg.textToC());
    diffusionConfig =
        new DiffusionConfig(
            cfg.noiseSchedule(),
            1000,
            cfg.prediction(),
            cfg.learnSigma() ? VarianceType.LEARNED_RANGE : VarianceType.FIXED_SMALL);
    model = new DiT(modelConfig);
    try (PointerScope s = new PointerScope()) {
      model.to(device, false);
    }
    model.train(true);
    if (ctx.spSize() > 1) {
      model.setSequenceParallel(new SequenceParallel(ctx.sp(), cfg.spMode()));
    }
    if (ctx.worldSize() > 1) {
      try (PointerScope s = new PointerScope()) {
        List<Tensor> all = new ArrayList<>(trainable(model, false).values());
        StringTensorDict buffers = model.named_buffers(true);
        for (long i = 0; i < buffers.size(); i++) {
          all.add(buffers.get(i).value());
        }
        GradientSync.broadcastFromRank0(ctx, all); // identical start on every rank
      }
    }
    diffusion = GaussianDiffusion.create(diffusionConfig, "", device);
    AdamWConfig adam = AdamWConfig.defaults().withLr(cfg.lr()).withWeightDecay(cfg.weightDecay());
    if (cfg.zero() == 2) {
      sharded = new ShardedAdamW(ctx, model, adam, DiT::hasCompleteGradient);
    } else {
      optimizer = AdamWOptimizer.create(model, adam);
      if (ctx.worldSize() > 1) {
        try (PointerScope s = new PointerScope()) {
          gradSync = new GradientSync(ctx, trainable(model, true), DiT::hasCompleteGradient);
        }
      }
    }
    ema = Ema.of(model, cfg.emaDecay());
    checkpointer = new Checkpointer(runDir, cfg.keepLast());
    dataInfo = dataInfo(dataset);
  }

  /**
   * The model a run trains before the data's shapes are applied: the model config file's (keeping
   * its architecture unless {@code arch} is set) or the preset's with the architecture.
   */
  public static DiTConfig modelConfigOf(TrainConfig cfg) throws IOException {
    if (cfg.modelConfig() != null) {
      DiTConfig file = DiTConfig.read(Path.of(cfg.modelConfig()));
      return file.withArch(cfg.effectiveArch(file.modelArch()));
    }
    return DiTPresets.get(cfg.effectiveModel(), cfg.effectiveArch(null));
  }

  /**
   * This process's device in the job {@code env} describes: {@link #deviceSpec}, resolved, and made
   * CUDA's current device under a launcher (NCCL uses it). The caller owns it.
   */
  public static Device processDevice(DeviceSpec spec, DistEnv env) {
    Device d = Devices.resolve(deviceSpec(spec, env));
    if (d.is_cuda() && !env.isSingle()) {
      org.bytedeco.pytorch.global.torch_cuda.set_device(
          (byte) Math.max(0, d.index())); // NCCL uses the current device
    }
    return d;
  }

  /**
   * The device spec to use: under a launcher with several processes, {@code auto} and {@code cuda}
   * become {@code cuda:LOCAL_RANK} (one GPU per process) when CUDA is there.
   */
  static DeviceSpec deviceSpec(DeviceSpec spec, DistEnv env) {
    if (!env.isSingle() && spec.unpinnedGpu() && Devices.cudaAvailable()) {
      int n = Devices.cudaDeviceCount();
      if (env.localRank() >= n) {
        throw new IllegalArgumentException(
            "local rank "
                + env.localRank()
                + " has no GPU of its own: this node has "
                + n
                + " CUDA device(s) for "
                + env.localWorldSize()
                + " processes; use --nproc-per-node "
                + n);
      }
      return DeviceSpec.cuda(env.localRank());
    }
    return spec;
  }

  /**
   * The module's parameters that require gradients, by name in the module's order. With {@code
   * own}, new handles the caller's scope owns; else handles valid while the caller's scope lives.
   */
  private static Map<String, Tensor> trainable(DiT m, boolean own) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    StringTensorDict dict = m.named_parameters(true);
    for (long i = 0; i < dict.size(); i++) {
      Tensor p = dict.get(i).value();
      if (p.requires_grad()) {
        out.put(dict.get(i).key().getString(), own ? new Tensor(p) : p);
      }
    }
    return out;
  }

  /** The job this trainer runs in (one process: rank 0 of 1). */
  public ParallelContext parallelContext() {
    return ctx;
  }

  /**
   * Adds a listener (progress bars, tests); call before {@link #run()}. Listeners run on every
   * rank; {@code onCheckpoint} only on rank 0, which writes the checkpoints.
   */
  public Trainer listen(TrainListener l) {
    listeners.add(l);
    return this;
  }

  public DiT model() {
    return model;
  }

  public DiTConfig modelConfig() {
    return modelConfig;
  }

  /** Frames, size and fps of the training videos, as recorded in checkpoints for sampling. */
  private static DataInfo dataInfo(ArrowVideoDataset ds) {
    Integer frames = null;
    Integer height = null;
    Integer width = null;
    Double fps = null;
    int[] size = ds.videoSize(0);
    if (size != null) {
      frames = size[0];
      height = size[1];
      width = size[2];
    }
    Path videoDir = ds.info().videoDir();
    if (videoDir != null) {
      Path f = videoDir.resolve(ds.videoFile(0));
      if (Files.isRegularFile(f)) {
        try {
          VideoInfo vi = VideoReader.probe(f);
          fps = vi.fps();
          frames = frames != null ? frames : (int) vi.frames();
          height = height != null ? height : vi.height();
          width = width != null ? width : vi.width();
        } catch (IOException e) {
          log.debug("cannot probe {} for the data's fps: {}", f, e.getMessage());
        }
      }
    }
    return new DataInfo(frames, height, width, fps);
  }

  /**
   * The configuration a checkpoint carries: everything sampling needs to rebuild the run's models.
   */
  public RunConfig runConfig() {
    return new RunConfig(
        new ModelSpec.Dit(modelConfig),
        new ProcessSpec.Iddpm(diffusionConfig),
        new CompressorRef(cfg.compressor(), cfg.compressorDir()),
        attachments.containsKey("text_encoder") ? "builtin:text_encoder" : textEncoderId,
        dataset.info().pooled() ? TextInput.POOLED : TextInput.STATES,
        dataInfo,
        cfg);
  }

  /** Trains to {@code max_steps} (or the epochs), saving checkpoints on the way and at the end. */
  public Result run() throws IOException {
    try {
      return train();
    } catch (RuntimeException e) {
      RuntimeException u =
          SequenceParallel.unwrapFailure(e); // a peer's failure seen inside backward
      failure = u;
      throw u;
    } catch (IOException | Error e) {
      failure = e;
      throw e;
    }
  }

  private Result train() throws IOException {
    long started = System.nanoTime();
    boolean main = ctx.isMain();
    int dpRank = ctx.dpRank();
    int dpSize = ctx.dpSize();
    int[] factors = compressor.factors();
    long[][] keys = Loader.shapeKeys(dataset, io.jsora.video.DecodeOptions.NATIVE, factors);
    BucketSampler sampler =
        BucketSampler.forSteps(
            keys, cfg.batchSize(), cfg.accumulationSteps(), cfg.seed(), dpRank, dpSize);
    int batchesPerEpoch = sampler.batchesPerEpoch();
    if (batchesPerEpoch == 0) {
      throw new IllegalArgumentException(
          "the dataset has fewer rows of one shape than one step takes ("
              + cfg.batchSize() * cfg.accumulationSteps() * dpSize
              + " = --batch-size x --accumulation-steps"
              + (dpSize > 1 ? " x " + dpSize + " data-parallel replicas" : "")
              + "); lower them");
    }
    long stepsPerEpoch = batchesPerEpoch / cfg.accumulationSteps();
    long maxSteps = cfg.maxSteps() > 0 ? cfg.maxSteps() : cfg.epochs() * stepsPerEpoch;
    LrSchedule schedule =
        cfg.lrSchedule() == TrainConfig.LrScheduleKind.CONSTANT
            ? new LrSchedule.Constant(cfg.lr(), cfg.warmupSteps())
            : new LrSchedule.Cosine(
                cfg.lr(),
                cfg.warmupSteps(),
                Math.max(maxSteps, cfg.warmupSteps() + 1),
                cfg.minLr());
    TrainState state = TrainState.fresh(cfg.seed(), schedule);
    NanGuard guard = new NanGuard(cfg.nanTolerance());
    Optional<Path> resumeFrom = agreeOnResume(CheckpointLayout.resolveResume(cfg.resume(), runDir));
    if (resumeFrom.isPresent()) {
      checkCompatible(resumeFrom.get());
      state =
          Checkpointer.restore(resumeFrom.get(), model, ema, sharded != null ? sharded : optimizer);
      guard = new NanGuard(cfg.nanTolerance(), state.nanSkipped(), state.nanConsecutive());
      ResumePolicy.placeSampler(
          state.data(), (long) cfg.batchSize() * cfg.accumulationSteps() * dpSize, sampler, main);
      if (main) {
        log.info("resumed from {} at step {}", resumeFrom.get(), state.step());
      }
      if (state.step() >= maxSteps) {
        if (main) {
          log.info(
              "the run is already complete: {} is at step {} of {}; nothing to train",
              resumeFrom.get(),
              state.step(),
              maxSteps);
        }
        return new Result(
            state.step(),
            0,
            Double.NaN,
            resumeFrom.get(),
            state.nanSkipped(),
            (System.nanoTime() - started) / 1e9);
      }
    } else {
      ResumePolicy.placeSampler(null, 0, sampler, main);
    }
    List<TrainListener> all = new ArrayList<>();
    MetricsLog metrics = null;
    if (main) {
      Files.createDirectories(runDir);
      Path metricsFile = runDir.resolve("metrics.jsonl");
      all.add(new ThroughputListener(20));
      metrics = MetricsLog.open(metricsFile, state.step());
      all.add(new MetricsListener(metrics, 1));
      all.add(new LossPlotListener(metricsFile, runDir.resolve("loss.png"), "training loss"));
    }
    all.addAll(listeners);
    TrainListener events = TrainListener.all(all);
    events.onTrainBegin(new TrainListener.TrainInfo(state.step(), maxSteps, runDir));
    if (main) {
      log.info(
          "training {} ({} parameters) on {} rows, {} steps of {} x {} samples{}, {} on {}",
          describe(),
          model.parameterCount(),
          dataset.size(),
          maxSteps,
          cfg.batchSize(),
          cfg.accumulationSteps(),
          layout(),
          diffusionConfig,
          Devices.name(device));
    }

    PerSampleRandom random = new PerSampleRandom(cfg.seed());
    Epochs data = new Epochs(sampler, loaderOptions());
    long step = state.step();
    long state0 = step;
    long samplesSeen = state.samplesSeen();
    Path last = null;
    TrainListener.StepMetrics lastMetrics = null;
    Phases phases = new Phases(events, device);
    try {
      while (step < maxSteps) {
        long t0 = System.nanoTime();
        phases.start(step);
        double lossSum = 0;
        double mseSum = 0;
        double vbSum = 0;
        long samples = 0;
        long tokens = 0;
        for (int micro = 0; micro < cfg.accumulationSteps(); micro++) {
          Batch next = data.next();
          phases.end(StepTimer.Phase.DATA, micro);
          try (Batch batch = next) {
            Micro m = microStep(batch, step, micro, random, phases);
            lossSum += m.loss();
            mseSum += m.mse();
            vbSum += m.vb();
            samples += m.samples();
            tokens += m.tokens();
          }
        }
        double norm = Double.NaN;
        if (sharded != null) {
          norm = sharded.reduceGradients(); // identical on every rank
        } else if (gradSync != null) {
          gradSync.sync();
        }
        if (ctx.worldSize() > 1) {
          // the ranks of a sequence-parallel group hold the same samples: divide by the world size
          // for the replicas' mean, by the SP size for the count
          double[] sums = allReduce(new double[] {lossSum, mseSum, vbSum, samples, tokens});
          int w = ctx.worldSize();
          lossSum = sums[0] / w;
          mseSum = sums[1] / w;
          vbSum = sums[2] / w;
          samples = Math.round(sums[3] / ctx.spSize());
          tokens = Math.round(sums[4] / ctx.spSize());
        }
        phases.end(StepTimer.Phase.COMMUNICATION, -1);
        double loss = lossSum / cfg.accumulationSteps();
        double lr = schedule.lr(step);
        Update u = update(step, loss, norm, lr, guard);
        norm = u.norm();
        boolean admitted = u.admitted();
        phases.end(StepTimer.Phase.OPTIMIZER, -1);
        step++;
        samplesSeen += samples;
        Map<String, Double> extra = new LinkedHashMap<>();
        extra.put("mse", mseSum / cfg.accumulationSteps());
        extra.put("vb", vbSum / cfg.accumulationSteps());
        lastMetrics =
            new TrainListener.StepMetrics(
                step,
                data.epoch(),
                loss,
                lr,
                norm,
                !admitted,
                samples,
                tokens,
                System.nanoTime() - t0,
                extra);
        events.onStep(lastMetrics);
        state =
            state
                .withStep(step, data.epoch(), samplesSeen)
                .withData(
                    SamplerPosition.of(
                        data.state(), (long) cfg.batchSize() * cfg.accumulationSteps() * dpSize))
                .withNan(guard);
        boolean interval = cfg.saveInterval() > 0 && step % cfg.saveInterval() == 0;
        if (interval || step == maxSteps) {
          phases.restart();
          last = save(state, events);
          phases.end(StepTimer.Phase.CHECKPOINT, -1);
        }
      }
      if (last == null && step > 0) {
        last = save(state, events);
      }
      events.onTrainEnd(lastMetrics);
      List<String> dropped = data.dropped();
      if (!dropped.isEmpty()) {
        log.warn(
            "{} video(s) could not be read and were left out{}: {}",
            dropped.size(),
            ctx.worldSize() > 1 ? " by rank " + ctx.rank() : "",
            dropped);
      }
    } finally {
      data.close();
      if (metrics != null) {
        metrics.close();
      }
    }
    return new Result(
        step,
        step - state0,
        lastMetrics == null ? Double.NaN : lastMetrics.loss(),
        last,
        guard.skipped(),
        (System.nanoTime() - started) / 1e9);
  }

  /** What one micro-batch contributed to its step. */
  private record Micro(double loss, double mse, double vb, long samples, long tokens) {}

  /**
   * Forward and backward of one micro-batch, in its own scope: each sample's timestep, noise and
   * text dropout from its stream keyed by (seed, step, global sample index), the diffusion loss,
   * and backward of {@code loss / accumulation}.
   */
  private Micro microStep(Batch b, long step, int micro, PerSampleRandom random, Phases phases)
      throws IOException {
    int dpSize = ctx.dpSize();
    try (PointerScope scope = new PointerScope()) {
      Tensor x0 = b.latents(); // (B, C, T, H, W)
      long[] xs = Shapes.of(x0);
      int n = b.size();
      // sample i of this micro-batch on replica r is sample m·b·R + r·b + i of the step's global
      // batch (R replicas), whichever process runs it
      long[] idx =
          PerSampleRandom.range(((long) micro * dpSize + ctx.dpRank()) * cfg.batchSize(), n);
      Tensor t = random.timesteps(step, idx, diffusion.numTimesteps(), device); // (B)
      Tensor noise =
          random.noise(
              step, idx, new long[] {xs[1], xs[2], xs[3], xs[4]}, device); // (B, C, T, H, W)
      byte[] dropBytes = new byte[n];
      for (int i = 0; i < n; i++) {
        boolean drop =
            random.uniform(PerSampleRandom.DROPOUT_STREAM, step, idx[i]) < cfg.textDropout();
        dropBytes[i] = (byte) (drop ? 1 : 0);
      }
      Tensor dropText =
          Tensors.ofBytes(dropBytes, n)
              .to(device, org.bytedeco.pytorch.global.torch.ScalarType.Bool); // (B)
      TextConditioning text =
          TextConditioning.forArch(modelConfig.modelArch(), b.text(), b.textMask());
      GaussianDiffusion.Losses losses;
      try (Autocast mixed = Autocast.of(cfg.precision(), device)) {
        losses =
            diffusion.trainingLosses(
                (x, tt) -> model.forward(x, tt, text.text(), text.mask(), dropText),
                x0,
                t,
                noise,
                null);
      }
      Tensor loss = losses.loss().mean(); // ()
      phases.end(StepTimer.Phase.FORWARD, micro);
      loss.div(new org.bytedeco.pytorch.Scalar((double) cfg.accumulationSteps())).backward();
      int patch = modelConfig.patchSize();
      Micro m =
          new Micro(
              loss.item_double(),
              losses.mse().mean().item_double(),
              losses.vb() == null ? 0 : losses.vb().mean().item_double(),
              n,
              n * xs[2] * (xs[3] / patch) * (xs[4] / patch));
      phases.end(StepTimer.Phase.BACKWARD, micro);
      return m;
    }
  }

  /**
   * What the optimizer update did: the gradient norm it measured and whether the NaN guard let it
   * through.
   */
  private record Update(double norm, boolean admitted) {}

  /**
   * The optimizer update of step {@code step}: learning rate, clipping (ZeRO-2: inside the sharded
   * step), the NaN guard's veto, AdamW and the EMA; gradients zeroed either way.
   *
   * @param norm the gradient norm already measured (ZeRO-2's reduce), NaN when not yet measured
   */
  private Update update(long step, double loss, double norm, double lr, NanGuard guard) {
    boolean admitted;
    try (PointerScope scope = new PointerScope()) {
      if (sharded != null) {
        admitted = guard.admit(step, loss, norm);
        if (admitted) {
          sharded.setLr(lr);
          sharded.step(cfg.gradClip());
          ema.update();
        }
        sharded.zeroGrad();
      } else {
        optimizer.setLr(lr);
        norm = GradClip.clip(optimizer.parameters(), cfg.gradClip());
        admitted = guard.admit(step, loss, norm);
        if (admitted) {
          optimizer.step();
          ema.update();
        }
        optimizer.zeroGrad();
      }
    }
    return new Update(norm, admitted);
  }

  /** The training data as one stream of micro-batches over epochs (a new shuffle each epoch). */
  private final class Epochs implements AutoCloseable {
    private final BucketSampler sampler;
    private final Loader.Options options;
    private Loader loader;
    private int epoch;

    Epochs(BucketSampler sampler, Loader.Options options) {
      this.sampler = sampler;
      this.options = options;
      this.epoch = sampler.epoch();
      this.loader = new Loader(dataset, sampler, options);
    }

    /**
     * The next micro-batch, starting the next epoch when this one is used up; the caller closes it.
     */
    Batch next() throws IOException {
      Batch next = loader.next();
      while (next == null) {
        loader.close();
        epoch++;
        sampler.setEpoch(epoch);
        loader = new Loader(dataset, sampler, options);
        next = loader.next();
        if (next == null && sampler.batchesPerEpoch() == 0) {
          throw new IllegalStateException("the data sampler gives no batch");
        }
      }
      return next;
    }

    int epoch() {
      return epoch;
    }

    BucketSampler.State state() {
      return loader.state();
    }

    List<String> dropped() {
      return loader.dropped();
    }

    @Override
    public void close() {
      loader.close();
    }
  }

  /**
   * Writes a checkpoint of {@code state} (rank 0), after gathering a sharded optimizer's state
   * (every rank); returns its directory (the one rank 0 writes, on every rank).
   */
  private Path save(TrainState state, TrainListener events) throws IOException {
    StateDict gathered =
        sharded != null ? sharded.stateDict(runDir) : null; // a collective under ZeRO-2
    try {
      if (!ctx.isMain()) {
        return runDir.resolve(CheckpointLayout.dirName(state.step()));
      }
      OptimizerCheckpoint opt = gathered != null ? OptimizerCheckpoint.of(gathered) : optimizer;
      Path dir = checkpointer.save(model, ema, opt, state, runConfig().toJson(), attachments);
      events.onCheckpoint(state.step(), dir);
      return dir;
    } finally {
      if (gathered != null) {
        gathered.close();
      }
    }
  }

  /** Sums {@code values} over every rank (float64). */
  private double[] allReduce(double[] values) {
    try (PointerScope s = new PointerScope()) {
      Tensor t = Tensors.of(values, values.length);
      Tensor onDevice = ctx.cuda() ? t.to(device, t.scalar_type()) : t;
      ctx.world().allReduceSum(onDevice);
      return Tensors.toDoubles(onDevice.cpu());
    }
  }

  /**
   * Every rank must resume from the same checkpoint: compares the step each rank found (a run
   * directory that is not shared by all nodes shows up here, not as diverging replicas).
   */
  private Optional<Path> agreeOnResume(Optional<Path> mine) {
    if (ctx.worldSize() == 1) {
      return mine;
    }
    double found = mine.map(p -> (double) CheckpointLayout.stepOf(p)).orElse(-1.0);
    double[] each = new double[ctx.worldSize()];
    each[ctx.rank()] = found;
    double[] all = allReduce(each);
    for (int r = 0; r < all.length; r++) {
      if (all[r] != all[0]) {
        throw new IllegalArgumentException(
            "--resume "
                + cfg.resume()
                + ": rank 0 found "
                + describeFound(all[0])
                + " but rank "
                + r
                + " found "
                + describeFound(all[r])
                + " under "
                + runDir.toAbsolutePath()
                + "; every rank must see the same checkpoint directory (a shared file system on several nodes)");
      }
    }
    return mine;
  }

  private static String describeFound(double step) {
    return step < 0 ? "no checkpoint" : "the checkpoint of step " + (long) step;
  }

  /**
   * {@code , over 2 data-parallel replicas x 2 sequence-parallel ranks} or nothing for one process.
   */
  private String layout() {
    if (ctx.worldSize() == 1) {
      return "";
    }
    return " per replica, over "
        + ctx.dpSize()
        + " data-parallel replica(s) x "
        + ctx.spSize()
        + " sequence-parallel rank(s)"
        + (ctx.spSize() > 1 ? " (" + cfg.spMode().id() + ")" : "")
        + (sharded != null ? ", ZeRO-2" : "");
  }

  /** Measures step phases for a {@link StepTimer}; does nothing without one. */
  private static final class Phases {
    private final TrainListener listener;
    private final boolean timed;
    private final boolean cuda;
    private long step;
    private long last;

    Phases(TrainListener listener, Device device) {
      this.listener = listener;
      this.timed = listener.timesPhases();
      this.cuda = device.is_cuda();
    }

    void start(long s) {
      step = s;
      restart();
    }

    void restart() {
      if (timed) {
        sync();
        last = System.nanoTime();
      }
    }

    void end(StepTimer.Phase phase, int micro) {
      if (!timed) {
        return;
      }
      sync();
      long now = System.nanoTime();
      listener.onPhase(step, micro, phase, now - last);
      last = now;
    }

    private void sync() {
      if (cuda) {
        org.bytedeco.pytorch.global.torch_cuda.device_synchronize();
      }
    }
  }

  private Loader.Options loaderOptions() {
    Loader.Options o =
        Loader.Options.defaults(device).withThreads(cfg.workers(), Math.max(2, 2 * cfg.workers()));
    if (dataset.hasLatents()) {
      if (dataset.info().latentKind() == LatentSpec.Kind.INDICES) {
        if (!(compressor instanceof VqVaeCompressor vq)) {
          throw new IllegalArgumentException(
              "the dataset caches VQ code indices: train with --compressor vqvae");
        }
        return o.withEmbedCodes(vq::embed);
      }
      return o;
    }
    VideoCompressor c = compressor;
    return o.withCompressor(
        c.factors(),
        video -> {
          try (NoGradGuard g = new NoGradGuard()) {
            return c.encode(video);
          }
        });
  }

  /** Refuses to resume a checkpoint made for a different model. */
  private void checkCompatible(Path dir) throws IOException {
    DiTConfig savedModel = CheckpointLayout.readConfig(dir).dit();
    if (!savedModel.withGradCheckpoint(modelConfig.gradCheckpoint()).equals(modelConfig)) {
      throw new IllegalArgumentException(
          "--resume "
              + dir
              + ": the checkpoint's model "
              + savedModel.toJson().replaceAll("\\s+", " ")
              + " differs from this run's "
              + modelConfig.toJson().replaceAll("\\s+", " "));
    }
  }

  private String describe() {
    return (cfg.modelConfig() != null
            ? cfg.modelConfig()
            : DiTPresets.canonical(cfg.effectiveModel()))
        + " "
        + modelConfig.modelArch().id();
  }

  @Override
  public void close() {
    for (AutoCloseable c :
        new AutoCloseable[] {
          ema, gradSync, sharded, optimizer, diffusion, model, compressor, dataset, device
        }) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
    if (ctx != null && ctx != givenContext) {
      if (failure != null && !causedByPeer(failure)) {
        ctx.abort(failure); // the other ranks' errors name this rank and say why
      } else {
        ctx.close(); // after success: waits for every rank; after a peer's failure: only stops
      }
      ctx = null;
    }
  }

  /** Whether {@code t} reports another rank's failure rather than this rank's own. */
  private static boolean causedByPeer(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DistributedException) {
        return true;
      }
    }
    return false;
  }
}
