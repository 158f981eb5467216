package io.jsora.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.Batch;
import io.jsora.data.BucketSampler;
import io.jsora.data.Loader;
import io.jsora.data.LatentSpec;
import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.GaussianDiffusion;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.VarianceType;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.dit.TextConditioning;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.model.vae.VqVaeCompressor;
import io.jsora.tensor.Autocast;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a DiT on a preprocessed dataset: the loop that ties data, model, diffusion, optimizer,
 * EMA and checkpoints together.
 *
 * <p>One optimizer step: for each of {@code accumulation_steps} micro-batches, draw each sample's
 * timestep, noise and text dropout from its own stream keyed by (seed, micro-step, sample index),
 * so results do not depend on how samples are spread over batches or processes; compute the
 * diffusion loss and back-propagate {@code loss / accumulation}. Then set the learning rate for
 * the step, measure (and optionally clip) the gradient norm, let the NaN guard veto the update,
 * step AdamW and the EMA. Every micro-step runs in its own {@code PointerScope}.
 *
 * <p>Resume restores weights, EMA, optimizer state, step, schedule and the data sampler's position,
 * so N steps + resume + N steps equals 2N steps exactly.
 */
public final class Trainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a run did. */
  public record Result(long steps, double lastLoss, Path lastCheckpoint, long nanSkipped, double seconds) {}

  private final TrainConfig cfg;
  private final Path runDir;
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
  private Ema ema;
  private Checkpointer checkpointer;
  private Map<String, Object> dataInfo;
  private String textEncoderId;
  private final List<TrainListener> listeners = new ArrayList<>();

  /**
   * Builds everything a run needs; nothing trains until {@link #run()}.
   *
   * @throws IOException when the dataset, compressor or checkpoint cannot be read
   * @throws IllegalArgumentException when settings contradict each other or the data
   */
  public Trainer(TrainConfig cfg) throws IOException {
    this.cfg = cfg;
    this.runDir = Path.of(cfg.checkpointDir());
    if (cfg.dataset().size() != 1) {
      throw new IllegalArgumentException("--dataset: give exactly one preprocessed dataset directory, got " + cfg.dataset().size());
    }
    try {
      build();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void build() throws IOException {
    device = Devices.resolve(cfg.device());
    Seeds.manualSeed(cfg.seed());
    Path dsDir = Path.of(cfg.dataset().get(0));
    dataset = ArrowVideoDataset.open(dsDir, cfg.videoDir() == null ? null : Path.of(cfg.videoDir()));
    ArrowVideoDataset.Info info = dataset.info();
    if (dataset.size() == 0) {
      throw new IllegalArgumentException(dsDir + ": the dataset has no rows");
    }
    String compressorName = cfg.compressor();
    if (dataset.hasLatents() && info.compressor() != null && !info.compressor().equals(compressorName)) {
      throw new IllegalArgumentException("--compressor " + compressorName + ": the dataset " + dsDir + " caches latents made by '"
          + info.compressor() + "'; train with --compressor " + info.compressor() + " or preprocess again");
    }
    compressor = Compressors.load(compressorName, cfg.compressorDir() == null ? null : Path.of(cfg.compressorDir()), device);
    textEncoderId = info.textEncoder();
    if (textEncoderId != null && textEncoderId.startsWith("builtin:")) {
      attachments.put("text_encoder", Path.of(textEncoderId.substring("builtin:".length())));
    }
    long textDim;
    try (Tensor first = dataset.textStates(0)) {
      long[] s = Shapes.of(first);
      textDim = s[s.length - 1];
    }
    Arch arch = Arch.parse(cfg.arch());
    DiTConfig base = cfg.modelConfig() != null ? DiTConfig.read(Path.of(cfg.modelConfig())) : DiTPresets.get(cfg.model(), arch);
    modelConfig = base.withArch(arch)
        .withInChannels(compressor.latentChannels())
        .withTextEmbedDim((int) textDim)
        .withLearnSigma(cfg.learnSigma())
        .withTextDropoutProb(cfg.textDropout())
        .withGradCheckpoint(cfg.gradCheckpoint())
        .withTextToC(cfg.textToC());
    diffusionConfig = new DiffusionConfig(BetaSchedule.parse(cfg.noiseSchedule()), 1000, Prediction.parse(cfg.prediction()),
        cfg.learnSigma() ? VarianceType.LEARNED_RANGE : VarianceType.FIXED_SMALL);
    model = new DiT(modelConfig);
    try (PointerScope s = new PointerScope()) {
      model.to(device, false);
    }
    model.train(true);
    diffusion = GaussianDiffusion.create(diffusionConfig, "", device);
    optimizer = AdamWOptimizer.create(model, AdamWConfig.defaults().withLr(cfg.lr()).withWeightDecay(cfg.weightDecay()));
    ema = Ema.of(model, cfg.emaDecay());
    checkpointer = new Checkpointer(runDir, cfg.keepLast());
    dataInfo = dataInfo(dataset);
  }

  /** Adds a listener (progress bars, tests); call before {@link #run()}. */
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

  public long datasetSize() {
    return dataset.size();
  }

  /** Frames, size and fps of the training videos, as recorded in checkpoints for sampling. */
  private static Map<String, Object> dataInfo(ArrowVideoDataset ds) {
    Map<String, Object> m = new LinkedHashMap<>();
    int[] size = ds.videoSize(0);
    if (size != null) {
      m.put("frames", size[0]);
      m.put("height", size[1]);
      m.put("width", size[2]);
    }
    Path videoDir = ds.info().videoDir();
    if (videoDir != null) {
      Path f = videoDir.resolve(ds.videoFile(0));
      if (Files.isRegularFile(f)) {
        try {
          VideoInfo vi = VideoReader.probe(f);
          m.put("fps", vi.fps());
          m.putIfAbsent("frames", vi.frames());
          m.putIfAbsent("height", vi.height());
          m.putIfAbsent("width", vi.width());
        } catch (IOException e) {
          log.debug("cannot probe {} for the data's fps: {}", f, e.getMessage());
        }
      }
    }
    return m;
  }

  /** The {@code config.json} a checkpoint carries: everything sampling needs to rebuild the run's models. */
  public Map<String, Object> checkpointConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model", JSON.valueToTree(modelConfig));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("noise_schedule", diffusionConfig.schedule().name().toLowerCase(java.util.Locale.ROOT));
    d.put("num_timesteps", diffusionConfig.numTimesteps());
    d.put("prediction", diffusionConfig.prediction().name().toLowerCase(java.util.Locale.ROOT));
    d.put("variance", diffusionConfig.variance().name().toLowerCase(java.util.Locale.ROOT));
    c.put("diffusion", d);
    Map<String, Object> comp = new LinkedHashMap<>();
    comp.put("name", compressor.name());
    comp.put("dir", cfg.compressorDir());
    c.put("compressor", comp);
    c.put("text_encoder", attachments.containsKey("text_encoder") ? "builtin:text_encoder" : textEncoderId);
    // what the model saw of each caption: all token states, or only the pooled vector
    c.put("text_input", dataset.info().pooled() ? "pooled" : "states");
    c.put("data", dataInfo);
    c.put("train", cfg);
    return c;
  }

  /** Trains to {@code max_steps} (or the epochs), saving checkpoints on the way and at the end. */
  public Result run() throws IOException {
    long started = System.nanoTime();
    int[] factors = compressor.factors();
    long[][] keys = Loader.shapeKeys(dataset, io.jsora.video.DecodeOptions.NATIVE, factors);
    BucketSampler sampler = BucketSampler.forSteps(keys, cfg.batchSize(), cfg.accumulationSteps(), cfg.seed(), 0, 1);
    int batchesPerEpoch = sampler.batchesPerEpoch();
    if (batchesPerEpoch == 0) {
      throw new IllegalArgumentException("the dataset has fewer rows of one shape than one step takes ("
          + cfg.batchSize() * cfg.accumulationSteps() + " = --batch-size x --accumulation-steps); lower them");
    }
    long stepsPerEpoch = batchesPerEpoch / cfg.accumulationSteps();
    long maxSteps = cfg.maxSteps() > 0 ? cfg.maxSteps() : cfg.epochs() * stepsPerEpoch;
    LrSchedule schedule = "constant".equals(cfg.lrSchedule())
        ? new LrSchedule.Constant(cfg.lr(), cfg.warmupSteps())
        : new LrSchedule.Cosine(cfg.lr(), cfg.warmupSteps(), Math.max(maxSteps, cfg.warmupSteps() + 1), cfg.minLr());
    TrainState state = TrainState.fresh(cfg.seed(), schedule);
    NanGuard guard = new NanGuard(cfg.nanTolerance());
    Optional<Path> resumeFrom = Checkpointer.resolveResume(cfg.resume(), runDir);
    if (resumeFrom.isPresent()) {
      checkCompatible(resumeFrom.get());
      state = Checkpointer.restore(resumeFrom.get(), model, ema, optimizer);
      guard = new NanGuard(cfg.nanTolerance(), state.nanSkipped(), state.nanConsecutive());
      Map<String, Object> d = state.data();
      if (d.containsKey("epoch")) {
        sampler.restore(new BucketSampler.State(((Number) d.get("seed")).longValue(), ((Number) d.get("epoch")).intValue(),
            ((Number) d.get("position")).intValue()));
      }
      log.info("resumed from {} at step {}", resumeFrom.get(), state.step());
    } else {
      sampler.setEpoch(0);
    }
    Files.createDirectories(runDir);
    ThroughputListener throughput = new ThroughputListener(20);
    Path metricsFile = runDir.resolve("metrics.jsonl");
    List<TrainListener> all = new ArrayList<>();
    all.add(throughput);
    MetricsLog metrics = MetricsLog.open(metricsFile, state.step());
    all.add(new MetricsListener(metrics, 1));
    all.add(new LossPlotListener(metricsFile, runDir.resolve("loss.png"), "training loss"));
    all.addAll(listeners);
    TrainListener events = TrainListener.all(all);
    events.onTrainBegin(new TrainListener.TrainInfo(state.step(), maxSteps, runDir));
    log.info("training {} ({} parameters) on {} rows, {} steps of {} x {} samples, {} on {}", describe(), model.parameterCount(),
        dataset.size(), maxSteps, cfg.batchSize(), cfg.accumulationSteps(), diffusionConfig, Devices.name(device));

    PerSampleRandom random = new PerSampleRandom(cfg.seed());
    Loader.Options options = loaderOptions();
    Loader loader = new Loader(dataset, sampler, options);
    long step = state.step();
    long samplesSeen = state.samplesSeen();
    int epoch = sampler.epoch();
    Path last = null;
    TrainListener.StepMetrics lastMetrics = null;
    Arch arch = modelConfig.modelArch();
    int patch = modelConfig.patchSize();
    try {
      while (step < maxSteps) {
        long t0 = System.nanoTime();
        double lossSum = 0;
        double mseSum = 0;
        double vbSum = 0;
        long samples = 0;
        long tokens = 0;
        for (int micro = 0; micro < cfg.accumulationSteps(); micro++) {
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
          try (Batch b = next;
              PointerScope scope = new PointerScope()) {
            Tensor x0 = b.latents(); // (B, C, T, H, W)
            long[] xs = Shapes.of(x0);
            int n = b.size();
            // sample i of this micro-batch is sample micro·b + i of the step, wherever it runs
            long[] idx = PerSampleRandom.range((long) micro * cfg.batchSize(), n);
            long randomStep = step;
            Tensor t = random.timesteps(randomStep, idx, diffusion.numTimesteps(), device); // (B)
            Tensor noise = random.noise(randomStep, idx, new long[] {xs[1], xs[2], xs[3], xs[4]}, device); // (B, C, T, H, W)
            boolean[] drop = new boolean[n];
            byte[] dropBytes = new byte[n];
            for (int i = 0; i < n; i++) {
              drop[i] = random.uniform(PerSampleRandom.DROPOUT_STREAM, randomStep, idx[i]) < cfg.textDropout();
              dropBytes[i] = (byte) (drop[i] ? 1 : 0);
            }
            Tensor dropText = Tensors.ofBytes(dropBytes, n).to(device, org.bytedeco.pytorch.global.torch.ScalarType.Bool); // (B)
            Tensor[] text = TextConditioning.forArch(arch, b.text(), b.textMask());
            GaussianDiffusion.Losses losses;
            try (Autocast mixed = Autocast.of(cfg.precision(), device)) {
              losses = diffusion.trainingLosses((x, tt) -> model.forward(x, tt, text[0], text[1], dropText), x0, t, noise, null);
            }
            Tensor loss = losses.loss().mean(); // ()
            loss.div(new org.bytedeco.pytorch.Scalar((double) cfg.accumulationSteps())).backward();
            lossSum += loss.item_double();
            mseSum += losses.mse().mean().item_double();
            vbSum += losses.vb() == null ? 0 : losses.vb().mean().item_double();
            samples += n;
            tokens += n * xs[2] * (xs[3] / patch) * (xs[4] / patch);
          }
        }
        double loss = lossSum / cfg.accumulationSteps();
        double lr = schedule.lr(step);
        double norm;
        boolean admitted;
        try (PointerScope scope = new PointerScope()) {
          optimizer.setLr(lr);
          norm = GradClip.clip(optimizer.parameters(), cfg.gradClip());
          admitted = guard.admit(step, loss, norm);
          if (admitted) {
            optimizer.step();
            ema.update();
          }
          optimizer.zeroGrad();
        }
        step++;
        samplesSeen += samples;
        Map<String, Double> extra = new LinkedHashMap<>();
        extra.put("mse", mseSum / cfg.accumulationSteps());
        extra.put("vb", vbSum / cfg.accumulationSteps());
        lastMetrics = new TrainListener.StepMetrics(step, epoch, loss, lr, norm, !admitted, samples, tokens, System.nanoTime() - t0, extra);
        events.onStep(lastMetrics);
        state = state.withStep(step, epoch, samplesSeen).withData(samplerState(loader.state())).withNan(guard);
        boolean interval = cfg.saveInterval() > 0 && step % cfg.saveInterval() == 0;
        if (interval || step == maxSteps) {
          last = checkpointer.save(model, ema, optimizer, state, checkpointConfig(), attachments);
          events.onCheckpoint(step, last);
        }
      }
      if (last == null && step > 0) {
        last = checkpointer.save(model, ema, optimizer, state, checkpointConfig(), attachments);
        events.onCheckpoint(step, last);
      }
      events.onTrainEnd(lastMetrics);
      List<String> dropped = loader.dropped();
      if (!dropped.isEmpty()) {
        log.warn("{} video(s) could not be read and were left out: {}", dropped.size(), dropped);
      }
    } finally {
      loader.close();
      metrics.close();
    }
    return new Result(step, lastMetrics == null ? Double.NaN : lastMetrics.loss(), last, guard.skipped(),
        (System.nanoTime() - started) / 1e9);
  }

  private static Map<String, Object> samplerState(BucketSampler.State s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seed", s.seed());
    m.put("epoch", s.epoch());
    m.put("position", s.position());
    return m;
  }

  private Loader.Options loaderOptions() {
    Loader.Options o = Loader.Options.defaults(device).withThreads(cfg.workers(), Math.max(2, 2 * cfg.workers()));
    if (dataset.hasLatents()) {
      if (dataset.info().latentKind() == LatentSpec.Kind.INDICES) {
        if (!(compressor instanceof VqVaeCompressor vq)) {
          throw new IllegalArgumentException("the dataset caches VQ code indices: train with --compressor vqvae");
        }
        return o.withEmbedCodes(vq::embed);
      }
      return o;
    }
    VideoCompressor c = compressor;
    return o.withCompressor(c.factors(), video -> {
      try (NoGradGuard g = new NoGradGuard()) {
        return c.encode(video);
      }
    });
  }

  /** Refuses to resume a checkpoint made for a different model. */
  private void checkCompatible(Path dir) throws IOException {
    var saved = Checkpointer.readConfig(dir).path("model");
    DiTConfig savedModel = saved.isMissingNode() ? null : DiTConfig.fromJson(saved.toString(), dir.resolve(Checkpointer.CONFIG).toString());
    if (savedModel != null && !savedModel.withGradCheckpoint(modelConfig.gradCheckpoint()).equals(modelConfig)) {
      throw new IllegalArgumentException("--resume " + dir + ": the checkpoint's model " + savedModel.toJson().replaceAll("\\s+", " ")
          + " differs from this run's " + modelConfig.toJson().replaceAll("\\s+", " "));
    }
  }

  private String describe() {
    return (cfg.modelConfig() != null ? cfg.modelConfig() : DiTPresets.canonical(cfg.model())) + " " + modelConfig.modelArch().id();
  }

  @Override
  public void close() {
    for (AutoCloseable c : new AutoCloseable[] {ema, optimizer, diffusion, model, compressor, dataset, device}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
