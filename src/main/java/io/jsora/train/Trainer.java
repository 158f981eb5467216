package io.jsora.train;

import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.StateDict;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.Batch;
import io.jsora.data.BatchPlan;
import io.jsora.data.BucketPlan;
import io.jsora.data.BucketSampler;
import io.jsora.data.Loader;
import io.jsora.diffusion.GaussianDiffusion;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.diffusion.rflow.FlowLoss;
import io.jsora.diffusion.rflow.MaskGenerator;
import io.jsora.diffusion.rflow.RFlowTraining;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.model.dit.DiTConfig;
import io.jsora.nn.Layer;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.GradientSync;
import io.jsora.parallel.ParallelContext;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ModelSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Autocast;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a model (a DiT or an Open-Sora 1.2 STDiT3, through {@link TrainedModel}) on a preprocessed
 * dataset: the steps over the parts a {@link TrainingRun} builds (device and job, data, compressor,
 * model, diffusion, optimizer, EMA), resuming where {@link ResumePolicy} says, and writing
 * checkpoints.
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
 * io.jsora.model.dit.DiT#setSequenceParallel}, {@link
 * io.jsora.model.stdit3.STDiT3#setSequenceParallel}). Parameters are broadcast from rank 0 at the
 * start; gradients are averaged with a bucketed all-reduce ({@link GradientSync}) before libtorch's
 * AdamW, or, with {@code zero: 2}, reduce-scattered into {@link ShardedAdamW}'s shards. Loss and
 * metrics are averaged over the replicas, so the NaN guard decides alike on every rank. Only rank 0
 * writes checkpoints (with the full optimizer state, gathered under ZeRO-2), {@code metrics.jsonl},
 * {@code loss.png}, and logs at info level; every rank resumes from the same checkpoint.
 */
public final class Trainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);

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
  private final TrainingRun run;
  // the parts the steps use, from the run
  private final Device device;
  private final ParallelContext ctx;
  private final ArrowVideoDataset dataset;
  private final TrainedModel model;
  private final GaussianDiffusion diffusion;
  private final RFlowTraining flow;
  private final MaskGenerator masks;
  private final AdamWOptimizer optimizer;
  private final ShardedAdamW sharded;
  private final GradientSync gradSync;
  private final Ema ema;
  private final Checkpointer checkpointer;
  // micro-batch sample i of replica r in micro-step m has index (m·R + r)·sampleStride + i
  private final int sampleStride;
  private Throwable failure;
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
    this.run = TrainingRun.build(cfg, env, hub, context);
    this.device = run.device();
    this.ctx = run.context();
    this.dataset = run.dataset();
    this.model = run.model();
    this.diffusion = run.diffusion();
    this.flow = run.flow();
    this.masks = run.masks();
    this.optimizer = run.optimizer();
    this.sharded = run.sharded();
    this.gradSync = run.gradSync();
    this.ema = run.ema();
    this.checkpointer = new Checkpointer(runDir, cfg.keepLast());
    this.sampleStride = run.sampleStride();
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

  /** The module being trained (a DiT or an STDiT3). */
  public Layer model() {
    return model.module();
  }

  /** The model's family and config, as the checkpoints record them. */
  public ModelSpec modelSpec() {
    return model.spec();
  }

  /** The DiT's config; fails naming the family when the run trains another. */
  public DiTConfig modelConfig() {
    if (model.spec() instanceof ModelSpec.Dit d) {
      return d.config();
    }
    throw new IllegalStateException("the run's model is " + model.spec().family() + ", not a DiT");
  }

  /**
   * The configuration a checkpoint carries: everything sampling needs to rebuild the run's models.
   */
  public RunConfig runConfig() {
    return run.runConfig();
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
    boolean bucketed = cfg.bucketConfig() != null;
    BucketSampler sampler = null;
    BucketPlan buckets = null;
    int batchesPerEpoch;
    if (bucketed) {
      buckets = run.bucketPlan(); // fails here, naming the buckets, when they fill no step
      batchesPerEpoch = buckets.batchesPerEpoch();
    } else {
      sampler =
          BucketSampler.forSteps(
              run.shapeKeys(),
              cfg.batchSize(),
              cfg.accumulationSteps(),
              cfg.seed(),
              dpRank,
              dpSize);
      batchesPerEpoch = sampler.batchesPerEpoch();
    }
    if (batchesPerEpoch < cfg.accumulationSteps()) {
      throw new IllegalArgumentException(
          bucketed
              ? "bucket_config: the buckets fill "
                  + batchesPerEpoch
                  + " batch(es) per replica per epoch, fewer than one step takes (--accumulation-steps "
                  + cfg.accumulationSteps()
                  + "); lower it or the buckets' batch sizes"
              : "the dataset has fewer rows of one shape than one step takes ("
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
    Optional<Path> resumeFrom = ResumePolicy.checkpointToResume(cfg, runDir, run);
    if (resumeFrom.isPresent()) {
      state =
          Checkpointer.restore(
              resumeFrom.get(), model.module(), ema, sharded != null ? sharded : optimizer);
      guard = new NanGuard(cfg.nanTolerance(), state.nanSkipped(), state.nanConsecutive());
      if (bucketed) {
        ResumePolicy.placeBuckets(state.data(), cfg.bucketConfig(), buckets, main);
      } else {
        ResumePolicy.placeSampler(
            state.data(), (long) cfg.batchSize() * cfg.accumulationSteps() * dpSize, sampler, main);
      }
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
    } else if (bucketed) {
      ResumePolicy.placeBuckets(null, cfg.bucketConfig(), buckets, main);
    } else {
      if (run.initFrom() != null) { // weights (and EMA) only: optimizer, data and step start fresh
        run.initFrom().loadInto(model.module(), ema);
        if (main) {
          log.info(
              "initialised from {} (weights and EMA; optimizer, data order and step start fresh)",
              run.initFrom().dir());
        }
      }
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
          run.describe(),
          model.module().parameterCount(),
          dataset.size(),
          maxSteps,
          bucketed ? "(one bucket's batch size)" : cfg.batchSize(),
          cfg.accumulationSteps(),
          run.layout(),
          run.processConfig(),
          Devices.name(device));
    }

    PerSampleRandom random = new PerSampleRandom(cfg.seed());
    long microPerStep = (long) cfg.accumulationSteps() * dpSize;
    long rowsPerStep = (long) cfg.batchSize() * microPerStep;
    Epochs<?> data =
        bucketed
            ? new Epochs<>(
                buckets,
                run.loaderOptions(),
                p -> SamplerPosition.ofBuckets(p, cfg.bucketConfig(), microPerStep))
            : new Epochs<>(sampler, run.loaderOptions(), s -> SamplerPosition.of(s, rowsPerStep));
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
          double[] sums = run.allReduceSum(new double[] {lossSum, mseSum, vbSum, samples, tokens});
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
                .withData(data.position())
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

  /**
   * Rectified-flow timesteps of a micro-batch, each sample's drawn from its own stream keyed by
   * (seed, step, global sample index) and transformed with its pixel size.
   *
   * @param xs the latent batch's shape (B, C, T, H, W)
   * @return float32 (B) on the device, in the caller's scope
   */
  private Tensor flowTimesteps(PerSampleRandom random, long step, long[] idx, long[] xs) {
    int[] f = run.compressorFactors(); // (time, height, width)
    VideoSize size =
        new VideoSize((int) (xs[3] * f[1]), (int) (xs[4] * f[2]), (int) Math.max(1, xs[2] * f[0]));
    float[] t = new float[idx.length];
    for (int i = 0; i < idx.length; i++) {
      try (PointerScope s = new PointerScope();
          Generator g =
              Seeds.cpuGenerator(
                  random.streamSeed(PerSampleRandom.TIMESTEP_STREAM, step, idx[i]))) {
        Tensor one =
            flow.sampleTimesteps(g, List.of(size), SizePrecision.FLOAT32, Devices.cpu()); // (1)
        t[i] = (float) one.item_double();
      }
    }
    try (Tensor cpu = Tensors.of(t, t.length)) {
      return cpu.to(device, org.bytedeco.pytorch.global.torch.ScalarType.Float);
    }
  }

  /**
   * Training frame masks of a micro-batch (true = generated), each sample's drawn from its own
   * stream keyed by (seed, step, global sample index).
   *
   * @return bool (B, T) on the device, in the caller's scope
   */
  private Tensor frameMasks(PerSampleRandom random, long step, long[] idx, long frames) {
    byte[] flat = new byte[idx.length * (int) frames];
    for (int i = 0; i < idx.length; i++) {
      try (Generator g =
          Seeds.cpuGenerator(random.streamSeed(PerSampleRandom.MASK_STREAM, step, idx[i]))) {
        boolean[] m = masks.mask((int) frames, g);
        for (int f = 0; f < frames; f++) {
          flat[i * (int) frames + f] = (byte) (m[f] ? 1 : 0);
        }
      }
    }
    return Tensors.ofBytes(flat, idx.length, frames)
        .to(device, org.bytedeco.pytorch.global.torch.ScalarType.Bool);
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
      long[] idx = PerSampleRandom.range(((long) micro * dpSize + ctx.dpRank()) * sampleStride, n);
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
      int[] f = run.compressorFactors(); // (time, height, width)
      TrainedModel.Conditions conditions =
          new TrainedModel.Conditions(
              b.text(), b.textMask(), dropText, run.conditioningFps(), xs[3] * f[1], xs[4] * f[2]);
      Tensor loss;
      double mse;
      double vb;
      try (Autocast mixed = Autocast.of(cfg.precision(), device)) {
        if (flow != null) {
          Tensor t = flowTimesteps(random, step, idx, xs); // (B)
          Tensor frameMask = masks == null ? null : frameMasks(random, step, idx, xs[2]); // (B, T)
          FlowLoss fl = flow.losses(model.flow(conditions), x0, noise, t, frameMask);
          loss = fl.loss().mean(); // ()
          mse = loss.item_double();
          vb = 0;
        } else {
          Tensor t = random.timesteps(step, idx, diffusion.numTimesteps(), device); // (B)
          GaussianDiffusion.Losses losses =
              diffusion.trainingLosses(model.denoiser(conditions), x0, t, noise, null);
          loss = losses.loss().mean(); // ()
          mse = losses.mse().mean().item_double();
          vb = losses.vb() == null ? 0 : losses.vb().mean().item_double();
        }
      }
      phases.end(StepTimer.Phase.FORWARD, micro);
      loss.div(new org.bytedeco.pytorch.Scalar((double) cfg.accumulationSteps())).backward();
      Micro m = new Micro(loss.item_double(), mse, vb, n, model.tokens(xs));
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

  /**
   * The training data as one stream of micro-batches over epochs (a new shuffle each epoch).
   *
   * @param <P> the plan's position, turned into what a checkpoint keeps by {@code saved}
   */
  private final class Epochs<P> implements AutoCloseable {
    private final BatchPlan<P> sampler;
    private final Loader.Options options;
    private final Function<P, SamplerPosition> saved;
    private Loader<P> loader;
    private int epoch;

    Epochs(BatchPlan<P> sampler, Loader.Options options, Function<P, SamplerPosition> saved) {
      this.sampler = sampler;
      this.options = options;
      this.saved = saved;
      this.epoch = sampler.epoch();
      this.loader = new Loader<>(dataset, sampler, options);
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
        loader = new Loader<>(dataset, sampler, options);
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

    /** The position after the last batch handed out, as a checkpoint keeps it. */
    SamplerPosition position() {
      return saved.apply(loader.state());
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
      Path dir =
          checkpointer.save(
              model.module(), ema, opt, state, runConfig().toJson(), run.attachments());
      events.onCheckpoint(state.step(), dir);
      return dir;
    } finally {
      if (gathered != null) {
        gathered.close();
      }
    }
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

  /**
   * Releases the run; ends the job the trainer joined (telling the other ranks when this one
   * failed).
   */
  @Override
  public void close() {
    run.close(failure);
  }
}
