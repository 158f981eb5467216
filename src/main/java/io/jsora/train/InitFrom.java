package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.CompressorKind;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ModelFamily;
import io.jsora.run.ModelSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Module;

/**
 * The weights a fresh run starts from ({@code --init-from}), as upstream's {@code --load} with
 * {@code --start-from-scratch}: the model's weights loaded strictly (every missing, unexpected or
 * mis-shaped key named), the EMA restarted at the source's EMA weights (or at the loaded weights
 * when it has none), and nothing else: the optimizer, data order, schedule and step start fresh.
 * {@code --resume} instead restores everything; a run that finds a checkpoint to resume continues
 * it and does not look here.
 *
 * <p>Two kinds of source, each saying which model the run builds (so the model flags are not
 * needed) and which encoders made the inputs it was trained on:
 *
 * <ul>
 *   <li>a jsora checkpoint directory (or a run directory: its newest checkpoint), any family: its
 *       {@code config.json} records the model, compressor and text encoder; weights {@code
 *       model.safetensors}, EMA {@code ema.safetensors};
 *   <li>an Open-Sora 1.2 STDiT3 directory as published ({@code hpcai-tech/OpenSora-STDiT-v3}):
 *       {@code config.json} in upstream's names, {@code model.safetensors}, optionally an EMA file
 *       ({@code ema.safetensors} or upstream's {@code ema.pt}); trained on the 1.2 VAE's latents
 *       and T5 states.
 * </ul>
 *
 * The run's data must come from encoders of the same kinds and fit the model's widths, or the run
 * stops before training with an error naming both.
 */
final class InitFrom {
  /** EMA files an Open-Sora 1.2 directory may hold, in the order looked for. */
  static final List<String> OS12_EMA = List.of("ema.safetensors", "ema.pt");

  private final Path dir;
  private final ModelSpec model;
  private final Path weights;
  private final Path emaOrNull;
  private final CompressorKind compressor;
  private final String textEncoder;

  private InitFrom(
      Path dir,
      ModelSpec model,
      Path weights,
      Path emaOrNull,
      CompressorKind compressor,
      String textEncoder) {
    this.dir = dir;
    this.model = model;
    this.weights = weights;
    this.emaOrNull = emaOrNull;
    this.compressor = compressor;
    this.textEncoder = textEncoder;
  }

  /**
   * The source {@code spec} names, for a run of {@code family}.
   *
   * @throws IOException naming the path when it holds no checkpoint or misses a file
   * @throws IllegalArgumentException when the source's family is not the run's
   */
  static InitFrom open(String spec, ModelFamily family) throws IOException {
    Path p = Path.of(spec);
    if (!Files.exists(p)) {
      throw new NoSuchFileException(spec, null, "--init-from: no such checkpoint directory");
    }
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException(
          "--init-from "
              + spec
              + ": give a checkpoint directory (holding "
              + CheckpointLayout.CONFIG
              + " and "
              + CheckpointLayout.MODEL
              + "), not a file");
    }
    InitFrom src = isOs12(p) ? openOs12(p) : openCheckpoint(p);
    if (src.model.family() != family) {
      throw new IllegalArgumentException(
          "--init-from "
              + src.dir
              + " holds a model of family "
              + src.model.family()
              + ", this run trains model_family "
              + family
              + "; add --model-family "
              + src.model.family());
    }
    return src;
  }

  /** Whether {@code dir} is a published STDiT3 directory (no jsora state, an STDiT3 config). */
  private static boolean isOs12(Path dir) throws IOException {
    Path config = dir.resolve(CheckpointLayout.CONFIG);
    if (Files.isRegularFile(dir.resolve(CheckpointLayout.STATE)) || !Files.isRegularFile(config)) {
      return false;
    }
    String text = Files.readString(config);
    return text.contains("\"STDiT3\"");
  }

  private static InitFrom openCheckpoint(Path p) throws IOException {
    Path dir = CheckpointLayout.resolve(p);
    RunConfig rc = CheckpointLayout.readConfig(dir);
    Path ema = dir.resolve(CheckpointLayout.EMA);
    return new InitFrom(
        dir,
        rc.model(),
        dir.resolve(CheckpointLayout.MODEL),
        Files.isRegularFile(ema) ? ema : null,
        rc.compressor().kind(),
        rc.textEncoder());
  }

  private static InitFrom openOs12(Path dir) throws IOException {
    Path weights = dir.resolve(CheckpointLayout.MODEL);
    if (!Files.isRegularFile(weights)) {
      throw new NoSuchFileException(
          weights.toString(),
          null,
          "--init-from: an Open-Sora 1.2 STDiT3 directory needs its weights "
              + CheckpointLayout.MODEL);
    }
    Path ema = null;
    for (String name : OS12_EMA) {
      if (Files.isRegularFile(dir.resolve(name))) {
        ema = dir.resolve(name);
        break;
      }
    }
    STDiT3Config config = STDiT3Config.read(dir.resolve(CheckpointLayout.CONFIG));
    return new InitFrom(
        dir,
        new ModelSpec.Stdit3(config),
        weights,
        ema,
        CompressorKind.OSVAE,
        TextEncoders.T5_PREFIX + "(Open-Sora 1.2)");
  }

  /** The checkpoint the weights come from. */
  Path dir() {
    return dir;
  }

  /**
   * The DiT the run trains: the source's, with this run's training-only settings (text dropout,
   * activation checkpointing).
   */
  DiTConfig ditConfig(TrainConfig cfg) {
    return ((ModelSpec.Dit) model)
        .config()
        .withTextDropoutProb(cfg.textDropout())
        .withGradCheckpoint(cfg.gradCheckpoint());
  }

  /** The STDiT3 the run trains: the source's, as it is. */
  STDiT3Config stdit3Config() {
    return ((ModelSpec.Stdit3) model).config();
  }

  /**
   * Refuses data the model cannot take: latents of another compressor kind or width, text from
   * another kind of encoder or width.
   *
   * @param runCompressor the run's compressor (the dataset's latents are already checked against
   *     it)
   * @param latentChannels its latent channels
   * @param textDim the width of the dataset's text states
   */
  void checkData(
      ArrowVideoDataset data, CompressorKind runCompressor, int latentChannels, long textDim) {
    String where = "--init-from " + dir + ": ";
    if (compressor != runCompressor) {
      throw new IllegalArgumentException(
          where
              + "the model was trained on "
              + compressor
              + " latents, this run uses compressor "
              + runCompressor
              + " (dataset "
              + data.directory()
              + "); preprocess the data with --compressor "
              + compressor
              + " and train with it");
    }
    int in =
        model instanceof ModelSpec.Dit d ? d.config().inChannels() : stdit3Config().inChannels();
    if (in != latentChannels) {
      throw new IllegalArgumentException(
          where
              + "the model takes in_channels "
              + in
              + ", the compressor "
              + runCompressor
              + " gives "
              + latentChannels);
    }
    TextEncoders.Kind was = TextEncoders.kindOf(textEncoder);
    TextEncoders.Kind is = TextEncoders.kindOf(data.info().textEncoder());
    if (was != null && is != null && was != is) {
      throw new IllegalArgumentException(
          where
              + "the model was trained on "
              + was
              + " text states ("
              + textEncoder
              + "), the dataset "
              + data.directory()
              + " holds "
              + is
              + " states ("
              + data.info().textEncoder()
              + "); preprocess it with the same text encoder");
    }
    String textKey = model instanceof ModelSpec.Dit ? "text_embed_dim" : "caption_channels";
    int width =
        model instanceof ModelSpec.Dit d
            ? d.config().textEmbedDim()
            : stdit3Config().captionChannels();
    if (width != textDim) {
      throw new IllegalArgumentException(
          where
              + "the model takes "
              + textKey
              + " "
              + width
              + ", the dataset "
              + data.directory()
              + " holds text states "
              + textDim
              + " wide ("
              + data.info().textEncoder()
              + ")");
    }
  }

  /**
   * Loads the weights into {@code model} strictly and restarts {@code ema} (may be null) at the
   * source's EMA weights, or at the loaded weights when the source has no EMA file.
   *
   * @throws io.jsora.checkpoint.StateDictMismatchException naming every missing, unexpected and
   *     mis-shaped key
   */
  void loadInto(Module module, Ema ema) throws IOException {
    try (Weights.Loaded w = Weights.read(weights)) {
      StrictLoader.load(module, w.tensors(), weights.toString());
    }
    if (ema == null) {
      return;
    }
    if (emaOrNull != null) {
      try (Weights.Loaded w = Weights.read(emaOrNull)) {
        ema.load(w.tensors(), emaOrNull.toString());
      }
    } else {
      try (StateDict sd = StateDict.of(module)) {
        ema.load(sd, weights.toString());
      }
    }
  }
}
