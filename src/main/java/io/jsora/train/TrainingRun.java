package io.jsora.train;

import io.jsora.checkpoint.HubCache;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.BucketPlan;
import io.jsora.data.LatentSpec;
import io.jsora.data.Loader;
import io.jsora.data.bucket.SampleShape;
import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.GaussianDiffusion;
import io.jsora.diffusion.VarianceType;
import io.jsora.diffusion.rflow.MaskGenerator;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowTraining;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.osvae.AllCompressors;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.stdit3.STDiT3Presets;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.CompressorOptions;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.model.vae.VqVaeCompressor;
import io.jsora.parallel.AdamWConfig;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.DistributedException;
import io.jsora.parallel.GradientSync;
import io.jsora.parallel.ParallelContext;
import io.jsora.parallel.ParallelOptions;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.CompressorRef;
import io.jsora.run.DataInfo;
import io.jsora.run.ModelSpec;
import io.jsora.run.ProcessSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TextInput;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import io.jsora.video.DecodeOptions;
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
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a training run trains with, built in the order each part needs the previous ones: the
 * process's device and its place in the job, the dataset, the compressor that matches it, the model
 * (its input and text widths taken from the data), the diffusion process, and the optimizer with
 * its gradient synchronisation and EMA. {@link Trainer} runs the steps over these parts; this class
 * only builds, describes and releases them.
 *
 * <p>A failure midway releases what was already built (and tells the other ranks why); {@link
 * #close} releases everything, the job last.
 */
public final class TrainingRun implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrainingRun.class);

  private final TrainConfig cfg;
  private final ParallelContext givenContext;
  private final Map<String, Path> attachments = new LinkedHashMap<>();
  private Device device;
  private ParallelContext ctx;
  private ArrowVideoDataset dataset;
  private VideoCompressor compressor;
  private String textEncoderId;
  private TrainedModel model;
  private DiffusionConfig diffusionConfig;
  private GaussianDiffusion diffusion;
  private RFlowTraining flow;
  private MaskGenerator masks;
  private AdamWOptimizer optimizer;
  private ShardedAdamW sharded;
  private GradientSync gradSync;
  private Ema ema;
  private DataInfo dataInfo;
  private InitFrom initFrom;
  private boolean closed;

  private TrainingRun(TrainConfig cfg, ParallelContext givenContext) {
    this.cfg = cfg;
    this.givenContext = givenContext;
  }

  /**
   * Builds the run {@code cfg} describes in the job {@code env} (or inside {@code context}, owned
   * by the caller, when not null).
   *
   * @param hub where compressors named by a Hugging Face id are found
   */
  static TrainingRun build(TrainConfig cfg, DistEnv env, HubCache hub, ParallelContext context)
      throws IOException {
    if (cfg.dataset().size() != 1) {
      throw new IllegalArgumentException(
          "--dataset: give exactly one preprocessed dataset directory, got "
              + cfg.dataset().size());
    }
    TrainingRun run = new TrainingRun(cfg, context);
    try {
      run.joinJob(env);
      Seeds.manualSeed(cfg.seed());
      run.openDataset();
      run.loadCompressor(hub);
      run.buildModel();
      run.buildOptimizer();
      return run;
    } catch (IOException | RuntimeException e) {
      run.close(e);
      throw e;
    }
  }

  /** The device and the job: the caller's context, or one this run creates and owns. */
  private void joinJob(DistEnv env) {
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
  }

  /** The one preprocessed dataset, with the frames, size and fps sampling will need. */
  private void openDataset() throws IOException {
    Path dir = Path.of(cfg.dataset().get(0));
    dataset = ArrowVideoDataset.open(dir, cfg.videoDir() == null ? null : Path.of(cfg.videoDir()));
    if (dataset.size() == 0) {
      throw new IllegalArgumentException(dir + ": the dataset has no rows");
    }
    if (cfg.bucketConfig() != null && dataset.hasLatents()) {
      throw new IllegalArgumentException(
          "bucket_config: the dataset "
              + dir
              + " caches latents of one size per sample; bucketed training resizes and crops each video to its"
              + " bucket, so it needs a dataset without cached latents (jsora preprocess without latents) and"
              + " the videos (video_dir)");
    }
    dataInfo = dataInfo(dataset);
    textEncoderId = dataset.info().textEncoder();
    if (textEncoderId != null && textEncoderId.startsWith("builtin:")) {
      attachments.put("text_encoder", Path.of(textEncoderId.substring("builtin:".length())));
    }
  }

  /** The compressor; it must be the one that made the dataset's cached latents, if it has any. */
  private void loadCompressor(HubCache hub) throws IOException {
    CompressorKind kind = cfg.compressor();
    String made = dataset.info().compressor();
    if (dataset.hasLatents() && made != null && !made.equals(kind.id())) {
      throw new IllegalArgumentException(
          "compressor "
              + kind
              + ": the dataset "
              + cfg.dataset().get(0)
              + " caches latents made by '"
              + made
              + "'; train with compressor "
              + made
              + " or preprocess again");
    }
    compressor =
        AllCompressors.load(
            kind,
            cfg.compressorDir() == null ? null : Path.of(cfg.compressorDir()),
            device,
            CompressorOptions.defaults(),
            hub);
  }

  /**
   * The model, its input channels from the compressor and text width from the data, on the device,
   * identical on every rank; and the diffusion process it is trained with.
   */
  private void buildModel() throws IOException {
    long textDim;
    try (Tensor first = dataset.textStates(0)) {
      long[] s = Shapes.of(first);
      textDim = s[s.length - 1];
    }
    if (cfg.initFrom() != null) { // the source's model, which the data must fit
      initFrom = InitFrom.open(cfg.initFrom(), cfg.modelFamily());
      initFrom.checkData(dataset, cfg.compressor(), compressor.latentChannels(), textDim);
    }
    model =
        switch (cfg.modelFamily()) {
          case DIT -> ditModel((int) textDim);
          case STDIT3 -> stdit3Model((int) textDim);
        };
    Module module = model.module();
    try (PointerScope s = new PointerScope()) {
      module.to(device, false);
    }
    module.train(true);
    if (ctx.spSize() > 1) {
      model.setSequenceParallel(new SequenceParallel(ctx.sp(), cfg.spMode()));
    }
    if (ctx.worldSize() > 1) {
      try (PointerScope s = new PointerScope()) {
        List<Tensor> all = new ArrayList<>(trainable(module, false).values());
        StringTensorDict buffers = module.named_buffers(true);
        for (long i = 0; i < buffers.size(); i++) {
          all.add(buffers.get(i).value());
        }
        GradientSync.broadcastFromRank0(ctx, all); // identical start on every rank
      }
    }
    switch (cfg.process()) {
      case IDDPM -> {
        diffusionConfig =
            new DiffusionConfig(
                cfg.noiseSchedule(),
                1000,
                cfg.prediction(),
                cfg.learnSigma() ? VarianceType.LEARNED_RANGE : VarianceType.FIXED_SMALL);
        diffusion = GaussianDiffusion.create(diffusionConfig, "", device);
      }
      case RFLOW -> {
        flow =
            new RFlowTraining(
                RFlowConfig.training12()
                    .withSampleMethod(cfg.timestepSampling())
                    .withTimestepTransform(cfg.timestepTransform()));
        masks = cfg.maskRatios() == null ? null : new MaskGenerator(cfg.maskRatios());
        Integer frames = dataInfo.frames();
        if (cfg.timestepTransform() && frames != null && frames > 1 && frames < 17) {
          throw new IllegalArgumentException(
              "timestep_transform: the transform counts 17-frame chunks, and the data's videos have "
                  + frames
                  + " frames; use videos of 1 or >= 17 frames or turn it off");
        }
      }
    }
  }

  /** The DiT of the preset or config file, its input and text widths from the data. */
  private TrainedModel ditModel(int textDim) throws IOException {
    DiTConfig mc =
        initFrom != null
            ? initFrom.ditConfig(cfg)
            : modelConfigOf(cfg)
                .withInChannels(compressor.latentChannels())
                .withTextEmbedDim(textDim)
                .withLearnSigma(cfg.learnSigma())
                .withTextDropoutProb(cfg.textDropout())
                .withGradCheckpoint(cfg.gradCheckpoint())
                .withTextToC(cfg.textToC());
    return new DitModel(new DiT(mc));
  }

  /**
   * The STDiT3 of the preset or upstream config file, its input channels and caption width from the
   * data; its captions must fit {@code model_max_length}.
   */
  private TrainedModel stdit3Model(int textDim) throws IOException {
    if (dataset.info().pooled()) {
      throw new IllegalArgumentException(
          cfg.dataset().get(0)
              + ": the dataset holds pooled text; model_family stdit3 cross-attends to token"
              + " states: preprocess without pooling");
    }
    STDiT3Config mc =
        initFrom != null
            ? initFrom.stdit3Config()
            : stdit3ConfigOf(cfg)
                .withInChannels(compressor.latentChannels())
                .withCaptionChannels(textDim);
    long longest = 0;
    for (long r = 0; r < dataset.size(); r++) {
      long[] shape = dataset.cellShape(io.jsora.data.HfDataset.TEXT_LATENT_STATES, r);
      longest = Math.max(longest, shape[0]);
    }
    if (longest > mc.modelMaxLength()) {
      throw new IllegalArgumentException(
          "model_max_length "
              + mc.modelMaxLength()
              + ": the dataset "
              + cfg.dataset().get(0)
              + " has captions of up to "
              + longest
              + " text tokens; use a model config with model_max_length >= "
              + longest);
    }
    STDiT3 m = new STDiT3(mc);
    m.setGradCheckpoint(cfg.gradCheckpoint());
    return new Stdit3Model(m);
  }

  /**
   * AdamW over the whole model with an all-reduce of its gradients, or ZeRO-2's sharded AdamW; the
   * EMA.
   */
  private void buildOptimizer() {
    AdamWConfig adam = AdamWConfig.defaults().withLr(cfg.lr()).withWeightDecay(cfg.weightDecay());
    if (cfg.zero() == 2) {
      sharded = new ShardedAdamW(ctx, model.module(), adam, model::hasCompleteGradient);
    } else {
      optimizer = AdamWOptimizer.create(model.module(), adam);
      if (ctx.worldSize() > 1) {
        try (PointerScope s = new PointerScope()) {
          gradSync =
              new GradientSync(ctx, trainable(model.module(), true), model::hasCompleteGradient);
        }
      }
    }
    ema = Ema.of(model.module(), cfg.emaDecay());
  }

  /** The process-group settings {@code cfg} describes. */
  static ParallelOptions parallelOptions(TrainConfig cfg) {
    return ParallelOptions.defaults()
        .withSpSize(cfg.spSize())
        .withTimeout(Duration.ofMillis(Math.round(cfg.distTimeout() * 1000)));
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
   * The STDiT3 a run trains before the data's widths are applied: the upstream {@code config.json}
   * {@code model_config} names (a file or its directory), or the preset's.
   */
  public static STDiT3Config stdit3ConfigOf(TrainConfig cfg) throws IOException {
    if (cfg.modelConfig() != null) {
      return STDiT3Config.read(Path.of(cfg.modelConfig()));
    }
    return STDiT3Presets.get(cfg.effectiveModel());
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
  private static Map<String, Tensor> trainable(Module m, boolean own) {
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
  RunConfig runConfig() {
    return new RunConfig(
        model.spec(),
        flow != null
            ? new ProcessSpec.RFlow(flow.config())
            : new ProcessSpec.Iddpm(diffusionConfig),
        new CompressorRef(cfg.compressor(), cfg.compressorDir()),
        attachments.containsKey("text_encoder") ? "builtin:text_encoder" : textEncoderId,
        dataset.info().pooled() ? TextInput.POOLED : TextInput.STATES,
        dataInfo,
        cfg);
  }

  /** Files a checkpoint carries beside the weights (the built-in text encoder's). */
  Map<String, Path> attachments() {
    return attachments;
  }

  /**
   * How the loader turns rows into micro-batches: cached latents as they are (VQ code indices
   * embedded), or videos encoded by the compressor.
   */
  Loader.Options loaderOptions() {
    Loader.Options o = encodingOptions();
    if (cfg.bucketConfig() == null) {
      return o;
    }
    int[] f = compressor.factors();
    int[] p; // (t, h, w) patch of the model's patch embedding
    if (model.spec() instanceof ModelSpec.Stdit3 st) {
      p = st.config().patchSize().stream().mapToInt(Integer::intValue).toArray();
    } else {
      int q = ((ModelSpec.Dit) model.spec()).config().patchSize();
      p = new int[] {1, q, q};
    }
    return o.withBuckets(
        cfg.seed(), FRAME_INTERVAL, new int[] {f[0] * p[0], f[1] * p[1], f[2] * p[2]});
  }

  /**
   * Frames of a bucket's window are read at this stride (the reference's {@code frame_interval}, 1
   * in its 1.2 training configs).
   */
  static final int FRAME_INTERVAL = 1;

  /**
   * The resolution-bucket plan of this replica: every row's stored shape bucketed by {@code
   * bucket_config}, seeded by the run's seed as the reference seeds its sampler. Buckets that take
   * samples but fewer than one batch in epoch 0 are reported (their samples are left out).
   *
   * @throws IllegalArgumentException naming {@code bucket_config} and the buckets, when they fill
   *     no step on every replica
   */
  BucketPlan bucketPlan() throws IOException {
    List<SampleShape> shapes =
        BucketPlan.shapes(Loader.shapeKeys(dataset, DecodeOptions.NATIVE, null));
    BucketPlan plan;
    try {
      plan =
          new BucketPlan(
              cfg.bucketConfig(), shapes, FRAME_INTERVAL, cfg.seed(), ctx.dpRank(), ctx.dpSize());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "bucket_config: " + e.getMessage() + " (" + dataset.size() + " rows in the dataset)", e);
    }
    if (ctx.isMain()) {
      for (String starved : plan.starved(shapes)) {
        log.warn("bucket_config: {}; its samples are left out this epoch", starved);
      }
    }
    return plan;
  }

  /** The micro-batch size the per-sample randomness is spaced by: the largest bucket batch. */
  int sampleStride() {
    if (cfg.bucketConfig() == null) {
      return cfg.batchSize();
    }
    int most = 1;
    for (io.jsora.data.bucket.BucketConfig.Bucket b : cfg.bucketConfig().buckets()) {
      most = Math.max(most, b.batchSize());
    }
    return most;
  }

  /** How rows become tensors: as cached, codes embedded, or videos compressed. */
  private Loader.Options encodingOptions() {
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
        c.fitMultiples(),
        video -> {
          try (NoGradGuard g = new NoGradGuard()) {
            return c.encode(video);
          }
        });
  }

  /** The compressor's (time, height, width) down-sampling factors. */
  int[] compressorFactors() {
    return compressor.factors();
  }

  /** The (time, height, width) multiples videos are cut to before encoding. */
  int[] compressorFitMultiples() {
    return compressor.fitMultiples();
  }

  /** Each row's shape key (frames and latent size) for the sampler's buckets. */
  long[][] shapeKeys() throws IOException {
    return Loader.shapeKeys(dataset, DecodeOptions.NATIVE, compressor.fitMultiples());
  }

  /** Sums {@code values} over every rank (float64). */
  double[] allReduceSum(double[] values) {
    try (PointerScope s = new PointerScope()) {
      Tensor t = Tensors.of(values, values.length);
      Tensor onDevice = ctx.cuda() ? t.to(device, t.scalar_type()) : t;
      ctx.world().allReduceSum(onDevice);
      return Tensors.toDoubles(onDevice.cpu());
    }
  }

  /**
   * {@code , over 2 data-parallel replicas x 2 sequence-parallel ranks} or nothing for one process.
   */
  String layout() {
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

  /** The model's name for the log: its source, config file or preset, and a DiT's architecture. */
  String describe() {
    if (model.spec() instanceof ModelSpec.Dit d) {
      return (initFrom != null
              ? "the model of " + initFrom.dir()
              : cfg.modelConfig() != null
                  ? cfg.modelConfig()
                  : DiTPresets.canonical(cfg.effectiveModel()))
          + " "
          + d.config().modelArch().id();
    }
    return "STDiT3 "
        + (initFrom != null
            ? "of " + initFrom.dir()
            : cfg.modelConfig() != null
                ? cfg.modelConfig()
                : STDiT3Presets.canonical(cfg.effectiveModel()));
  }

  Device device() {
    return device;
  }

  ParallelContext context() {
    return ctx;
  }

  ArrowVideoDataset dataset() {
    return dataset;
  }

  /** The model being trained. */
  TrainedModel model() {
    return model;
  }

  /** The frame rate STDiT3 is conditioned on ({@link DataInfo#conditioningFps}). */
  double conditioningFps() {
    return dataInfo.conditioningFps();
  }

  /** The process's settings, for the log. */
  Object processConfig() {
    return flow != null ? flow.config() : diffusionConfig;
  }

  /** Gaussian diffusion; null under rectified flow. */
  GaussianDiffusion diffusion() {
    return diffusion;
  }

  /** Rectified-flow training; null under IDDPM. */
  RFlowTraining flow() {
    return flow;
  }

  /** The training frame masks; null when every frame is generated. */
  MaskGenerator masks() {
    return masks;
  }

  /** AdamW over the whole model; null under ZeRO-2. */
  AdamWOptimizer optimizer() {
    return optimizer;
  }

  /** ZeRO-2's sharded AdamW; null otherwise. */
  ShardedAdamW sharded() {
    return sharded;
  }

  /** The gradient all-reduce of a data-parallel run without ZeRO-2; null otherwise. */
  GradientSync gradSync() {
    return gradSync;
  }

  Ema ema() {
    return ema;
  }

  /** The weights a fresh run starts from; null without {@code init_from}. */
  InitFrom initFrom() {
    return initFrom;
  }

  /** Releases the parts and ends the job this run created, after a successful run. */
  @Override
  public void close() {
    close(null);
  }

  /**
   * Releases the parts, the last built first, then ends the job this run created (a job the caller
   * gave stays open): after {@code failure} of this rank's own, the other ranks are told why; after
   * success every rank is waited for; after a peer's failure this rank only stops.
   */
  void close(Throwable failure) {
    if (closed) {
      return;
    }
    closed = true;
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
        ctx.abort(failure);
      } else {
        ctx.close();
      }
    }
    ctx = null;
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
