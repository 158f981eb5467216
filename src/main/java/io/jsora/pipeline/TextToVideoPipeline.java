package io.jsora.pipeline;

import io.jsora.checkpoint.HubCache;
import io.jsora.diffusion.Denoiser;
import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.GaussianDiffusion;
import io.jsora.diffusion.Guidance;
import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.Sampler;
import io.jsora.diffusion.SamplingProgress;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowSampler;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.TextConditioning;
import io.jsora.model.stdit3.Caption;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.DataInfo;
import io.jsora.run.ModelFamily;
import io.jsora.run.ProcessSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TextInput;
import io.jsora.video.Frames;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Text in, video out, from a training checkpoint: the model (a DiT or an STDiT3), diffusion
 * process, compressor and text encoder all come from the checkpoint's {@code config.json}, so they
 * cannot be mixed up.
 */
public final class TextToVideoPipeline implements AutoCloseable {
  private final Path checkpoint;
  private final RunConfig config;
  private final DiTConfig modelConfig;
  private final ProcessSpec process;
  private final DiT model;
  private final STDiT3 stdit3;
  private final VideoCompressor compressor;
  private final TextEncoder textEncoder;
  private final Device device;

  private TextToVideoPipeline(
      Path checkpoint,
      RunConfig config,
      DiTConfig modelConfig,
      ProcessSpec process,
      DiT model,
      STDiT3 stdit3,
      VideoCompressor compressor,
      TextEncoder textEncoder,
      Device device) {
    this.checkpoint = checkpoint;
    this.config = config;
    this.modelConfig = modelConfig;
    this.process = process;
    this.model = model;
    this.stdit3 = stdit3;
    this.compressor = compressor;
    this.textEncoder = textEncoder;
    this.device = device;
  }

  /**
   * Loads a checkpoint (a {@code step-N} directory, or a run's checkpoint directory: its latest).
   *
   * @param ema sample with the EMA weights (what a run is usually judged by)
   * @param device where to run; the pipeline owns it from now on
   */
  public static TextToVideoPipeline load(Path ckpt, boolean ema, Device device) throws IOException {
    return load(ckpt, ema, device, HubCache.NONE);
  }

  /**
   * As {@link #load(Path, boolean, Device)}, finding a compressor or text encoder the checkpoint
   * names by a Hugging Face id in {@code hub}.
   */
  public static TextToVideoPipeline load(Path ckpt, boolean ema, Device device, HubCache hub)
      throws IOException {
    try {
      return build(ckpt, ema, device, hub);
    } catch (IOException | RuntimeException e) {
      device.close();
      throw e;
    }
  }

  private static TextToVideoPipeline build(Path ckpt, boolean ema, Device device, HubCache hub)
      throws IOException {
    Path dir = CheckpointLayout.resolve(ckpt);
    RunConfig cfg = CheckpointLayout.readConfig(dir);
    String source = dir.resolve(CheckpointLayout.CONFIG).toString();
    boolean isDit = cfg.model().family() == ModelFamily.DIT;
    DiTConfig mc = isDit ? cfg.dit().withGradCheckpoint(false) : null;
    org.bytedeco.pytorch.Module module = null;
    VideoCompressor comp = null;
    TextEncoder enc = null;
    try {
      module = isDit ? new DiT(mc) : new STDiT3(cfg.stdit3());
      try (PointerScope s = new PointerScope()) {
        module.to(device, false);
      }
      module.eval();
      CheckpointLayout.loadWeights(dir, module, ema);
      String compDir = cfg.compressor().dir();
      comp =
          io.jsora.model.osvae.AllCompressors.load(
              cfg.compressor().kind(),
              compDir == null ? null : Path.of(compDir),
              device,
              io.jsora.model.vae.CompressorOptions.defaults(),
              hub);
      int inChannels = isDit ? mc.inChannels() : cfg.stdit3().inChannels();
      if (comp.latentChannels() != inChannels) {
        throw new IllegalArgumentException(
            source
                + ": compressor "
                + comp.name()
                + " gives "
                + comp.latentChannels()
                + " channels but the model takes "
                + inChannels);
      }
      // T5 pads to the STDiT3's caption length, as upstream's T5Embedder to model_max_length
      Integer t5Length =
          !isDit && TextEncoders.kindOf(cfg.textEncoder()) == TextEncoders.Kind.T5
              ? cfg.stdit3().modelMaxLength()
              : null;
      enc =
          io.jsora.model.t5.T5TextEncoders.load(
              textEncoderSpec(cfg.textEncoder(), dir, source), t5Length, device, hub);
      int textWidth = isDit ? mc.textEmbedDim() : cfg.stdit3().captionChannels();
      if (enc.hiddenSize() != textWidth) {
        throw new IllegalArgumentException(
            source
                + ": text encoder "
                + enc.id()
                + " is "
                + enc.hiddenSize()
                + " wide but the model takes "
                + textWidth);
      }
      return new TextToVideoPipeline(
          dir,
          cfg,
          mc,
          cfg.process(),
          isDit ? (DiT) module : null,
          isDit ? null : (STDiT3) module,
          comp,
          enc,
          device);
    } catch (IOException | RuntimeException e) {
      if (enc != null) {
        enc.close();
      }
      if (comp != null) {
        comp.close();
      }
      if (module != null) {
        module.close();
      }
      throw e;
    }
  }

  /**
   * A recorded text-encoder spec, with a checkpoint-relative built-in encoder resolved against the
   * checkpoint.
   */
  private static String textEncoderSpec(String spec, Path dir, String source) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException(source + ": no \"text_encoder\" recorded");
    }
    if (spec.startsWith(TextEncoders.BUILTIN_PREFIX)) {
      Path p = Path.of(spec.substring(TextEncoders.BUILTIN_PREFIX.length()));
      return TextEncoders.BUILTIN_PREFIX + (p.isAbsolute() ? p : dir.resolve(p)).toString();
    }
    return spec;
  }

  public Path checkpoint() {
    return checkpoint;
  }

  /** The DiT's config; fails naming the family when the checkpoint holds another model. */
  public DiTConfig modelConfig() {
    if (modelConfig == null) {
      throw new IllegalStateException(
          checkpoint + ": the model is " + config.model().family() + ", not a DiT");
    }
    return modelConfig;
  }

  /** The diffusion process the model was trained with, and its settings. */
  public ProcessSpec process() {
    return process;
  }

  /** Length of the process's time axis: the most steps a sampler can take. */
  public int numTimesteps() {
    return switch (process.process()) {
      case IDDPM -> config.iddpm().numTimesteps();
      case RFLOW -> config.rflow().numTimesteps();
    };
  }

  public VideoCompressor compressor() {
    return compressor;
  }

  /** The run's configuration, as its checkpoint records it. */
  public RunConfig runConfig() {
    return config;
  }

  /** The training videos' size and rate as the checkpoint recorded them (each may be unknown). */
  public DataInfo data() {
    return config.data();
  }

  /**
   * Generates one video per prompt.
   *
   * @return {@code uint8 [B, T, H, W, 3]} on the CPU; caller owns it
   */
  public Tensor generate(GenerationRequest req, SamplingProgress progress) {
    return generate(req, null, progress);
  }

  /**
   * Generates one video per prompt, each starting with the {@code given} frames of its clip (null:
   * none, as {@link #generate(GenerationRequest, SamplingProgress)}). The given frames are encoded
   * and pasted into the starting point; the frame mask keeps their latents exactly as encoded
   * through every step (rectified flow, {@link RFlowSampler}), so decoded they are the given frames
   * as the compressor reconstructs them, and the model generates the rest. Needs a rectified-flow
   * checkpoint, best one trained with frame masks ({@code --mask-ratio}).
   *
   * @return {@code uint8 [B, T, H, W, 3]} on the CPU; caller owns it
   */
  public Tensor generate(GenerationRequest req, GivenFrames given, SamplingProgress progress) {
    // 1. Validate the size against the compressor and the patch size
    long[] latent =
        compressor.latentShape(req.frames(), req.height(), req.width()); // (C, T', H', W')
    if (stdit3 != null) {
      if (given != null) {
        throw new IllegalArgumentException(
            "given frames: continuing clips is implemented for DiT rectified-flow runs; for an"
                + " STDiT3 run use jsora sample's --reference with --mask-strategy");
      }
      return generateStdit3(req, latent, progress);
    }
    int p = modelConfig.patchSize();
    if (latent[2] % p != 0 || latent[3] % p != 0) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "--height %d --width %d give a %dx%d latent, not a multiple of the patch size %d: use multiples of %d pixels",
              req.height(),
              req.width(),
              latent[2],
              latent[3],
              p,
              p * compressor.factors()[1]));
    }
    int b = req.prompts().size();
    Arch arch = modelConfig.modelArch();
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard();
        // 2. Encode the prompts, in the form the architecture takes
        TextEmbeddings emb = textEncoder.encode(req.prompts())) {
      boolean pooledOnly = config.textInput() == TextInput.POOLED;
      TextConditioning text =
          pooledOnly
              ? TextConditioning.forArch(
                  arch, emb.pooled(), null) // trained on pooled text only: (B, D) or (B, 1, D)
              : TextConditioning.forArch(
                  arch, emb.hidden(), emb.mask()); // (B, L, D) + (B, L), or (B, D)
      long[] shape = {b, latent[0], latent[1], latent[2], latent[3]};
      NoiseSource noise = NoiseSource.perSample(req.seed(), sampleIndices(b), device);
      Tensor givenLatent = given == null ? null : encodeGiven(given, req, latent);
      // 3. Sample the latent with the run's process
      Tensor sampled =
          switch (process.process()) {
            case IDDPM -> {
              if (given != null) {
                throw new IllegalArgumentException(
                    checkpoint
                        + ": generating from given frames needs a rectified-flow checkpoint"
                        + " (train --process rflow --mask-ratio ...); this one was trained with iddpm");
              }
              yield sampleIddpm(config.iddpm(), text, req, shape, noise, progress);
            }
            case RFLOW ->
                sampleFlow(config.rflow(), text, req, shape, noise, givenLatent, progress);
          };
      // 4. Decode to pixels in [-0.5, 0.5], then to bytes (clamped)
      Tensor z;
      try (sampled) {
        z = compressor.decode(sampled); // (B, 3, T, H, W)
      }
      try (z) {
        return Frames.toBytes(z); // (B, T, H, W, 3), owned by the caller
      }
    }
  }

  /**
   * An STDiT3 run: rectified flow (the only process it trains with) with upstream's conditioning:
   * the captions padded to {@code model_max_length}, the null caption {@code y_embedding} as the
   * unconditional text, the request's pixel size and the training data's fps ({@link
   * DataInfo#conditioningFps}). Any latent size works (STDiT3 pads to its patch).
   */
  private Tensor generateStdit3(GenerationRequest req, long[] latent, SamplingProgress progress) {
    int b = req.prompts().size();
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard();
        TextEmbeddings emb = textEncoder.encode(req.prompts())) {
      Caption cond = Caption.of(stdit3.config(), emb.hidden(), emb.mask()); // (B, 1, L, D)
      Caption none = cond.nullFor(stdit3.nullCaption()); // (B, 1, L, D)
      Tensor yBoth = torch.cat(new TensorVector(cond.states(), none.states()), 0); // (2B, 1, L, D)
      long[] shape = {b, latent[0], latent[1], latent[2], latent[3]};
      NoiseSource noise = NoiseSource.perSample(req.seed(), sampleIndices(b), device);
      double scale = req.guidanceScale() > 0 ? req.guidanceScale() : 1.0;
      RFlowConfig run = config.rflow().withNumSamplingSteps(req.numSteps()).withCfgScale(scale);
      List<VideoSize> sizes = VideoSize.batch(b, req.height(), req.width(), req.frames());
      RFlowSampler sampler = RFlowSampler.of(run, sizes, SizePrecision.FLOAT32);
      Tensor fps = torch.full(new long[] {1}, new Scalar(config.data().conditioningFps())); // (1)
      Tensor height = torch.full(new long[] {1}, new Scalar((double) req.height())); // (1)
      Tensor width = torch.full(new long[] {1}, new Scalar((double) req.width())); // (1)
      Tensor z = noise.draw(shape, 0); // (B, C, T, H, W)
      Tensor sampled =
          sampler.sample(
              (x, t, m) -> stdit3.forward(x, t, yBoth, cond.mask(), m, fps, height, width),
              z,
              null,
              noise,
              progress); // (B, C, T, H, W)
      Tensor pixels;
      try (sampled) {
        pixels = compressor.decode(sampled); // (B, 3, T, H, W)
      }
      try (pixels) {
        return Frames.toBytes(pixels); // (B, T, H, W, 3), owned by the caller
      }
    }
  }

  /**
   * The latents of the given frames: {@code [B, C, k, H', W']} on the device, k latent frames
   * (fewer than the request's), in the caller's scope.
   */
  private Tensor encodeGiven(GivenFrames given, GenerationRequest req, long[] latent) {
    long[] s = io.jsora.tensor.Shapes.of(given.video()); // (B, T, H, W, 3)
    int b = req.prompts().size();
    if (s[0] != b || s[2] != req.height() || s[3] != req.width()) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "given frames: %d clips of %dx%d px, but the request is %d prompts at %dx%d px",
              s[0],
              s[3],
              s[2],
              b,
              req.width(),
              req.height()));
    }
    int factor = compressor.factors()[0];
    if (given.count() % factor != 0) {
      throw new IllegalArgumentException(
          "given frames: "
              + given.count()
              + " frames do not fill whole latent frames of the "
              + compressor.name()
              + " compressor (a multiple of "
              + factor
              + ")");
    }
    if (given.count() / factor >= latent[1]) {
      throw new IllegalArgumentException(
          "given frames: "
              + given.count()
              + " given of "
              + req.frames()
              + " leave nothing to generate");
    }
    Tensor pixels = Frames.toModel(given.video().narrow(1, 0, given.count())); // (B, 3, k·f, H, W)
    try (pixels) {
      Tensor z = compressor.encode(pixels); // (B, C, k, H', W'), owned here
      Tensor onDevice = z.to(device, org.bytedeco.pytorch.global.torch.ScalarType.Float);
      if (onDevice != z) {
        z.close();
      }
      return onDevice;
    }
  }

  private static long[] sampleIndices(int b) {
    long[] indices = new long[b];
    for (int i = 0; i < b; i++) {
      indices[i] = i;
    }
    return indices;
  }

  /**
   * Gaussian diffusion: the respaced process, classifier-free guidance on a doubled batch (zeros
   * are the null text) when the scale is above 0.
   */
  private Tensor sampleIddpm(
      DiffusionConfig dc,
      TextConditioning text,
      GenerationRequest req,
      long[] shape,
      NoiseSource noise,
      SamplingProgress progress) {
    Denoiser denoiser;
    if (req.guidanceScale() > 0) {
      Tensor textBoth =
          torch.cat(new TensorVector(text.text(), torch.zeros_like(text.text())), 0); // (2B, ...)
      Tensor maskBoth =
          text.mask() == null
              ? null
              : torch.cat(new TensorVector(text.mask(), text.mask()), 0); // (2B, L)
      denoiser =
          Guidance.classifierFree(
              (x, t) -> model.forward(x, t, textBoth, maskBoth),
              req.guidanceScale(),
              modelConfig.inChannels());
    } else {
      denoiser = (x, t) -> model.forward(x, t, text.text(), text.mask());
    }
    try (GaussianDiffusion sd =
        GaussianDiffusion.respaced(dc, req.sampler(), req.numSteps(), device)) {
      Sampler sampler = new Sampler(sd, req.sampler(), req.eta(), false);
      return sampler.sample(denoiser, shape, noise, progress);
    }
  }

  /**
   * Rectified flow: {@code numSteps} Euler steps from the first noise draw, guided on a doubled
   * batch (zeros are the null text) with the request's scale (1 when it gives 0 or less: the
   * conditional model alone). The sizes the timestep transform sees are the request's pixels. With
   * {@code given} latents {@code [B, C, k, H', W']}, the first k latent frames of the starting
   * point are those latents and the frame mask (edit ratio 0 there, 1 elsewhere) keeps them.
   */
  private Tensor sampleFlow(
      RFlowConfig rc,
      TextConditioning text,
      GenerationRequest req,
      long[] shape,
      NoiseSource noise,
      Tensor given,
      SamplingProgress progress) {
    double scale = req.guidanceScale() > 0 ? req.guidanceScale() : 1.0;
    RFlowConfig run = rc.withNumSamplingSteps(req.numSteps()).withCfgScale(scale);
    List<VideoSize> sizes =
        VideoSize.batch((int) shape[0], req.height(), req.width(), req.frames());
    RFlowSampler sampler = RFlowSampler.of(run, sizes, SizePrecision.FLOAT32);
    Tensor textBoth =
        torch.cat(new TensorVector(text.text(), torch.zeros_like(text.text())), 0); // (2B, ...)
    Tensor maskBoth =
        text.mask() == null
            ? null
            : torch.cat(new TensorVector(text.mask(), text.mask()), 0); // (2B, L)
    Tensor z = noise.draw(shape, 0); // (B, C, T, H, W)
    Tensor frameMask = null;
    if (given != null) {
      long k = given.size(2);
      z = torch.cat(new TensorVector(given, z.narrow(2, k, shape[2] - k)), 2); // (B, C, T, H, W)
      frameMask = torch.ones(shape[0], shape[2]); // (B, T): 1 = generate
      frameMask.narrow(1, 0, k).zero_(); // 0 = keep the given latent
    }
    return sampler.sample(
        (x, t, m) -> model.forward(x, t, textBoth, maskBoth), z, frameMask, noise, progress);
  }

  @Override
  public void close() {
    textEncoder.close();
    compressor.close();
    if (model != null) {
      model.close();
    }
    if (stdit3 != null) {
      stdit3.close();
    }
    device.close();
  }
}
