package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.CompressorKind;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ModelFamily;
import io.jsora.run.RunConfig;
import io.jsora.run.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Module;

/**
 * The weights a fresh run starts from ({@code --init-from}), as upstream's {@code --load} with
 * {@code --start-from-scratch}: the model's weights loaded strictly (every missing, unexpected or
 * mis-shaped key named), the EMA restarted at the checkpoint's EMA weights (or at the loaded
 * weights when it has none), and nothing else: the optimizer, data order, schedule and step start
 * fresh. {@code --resume} instead restores everything; a run that finds a checkpoint to resume
 * continues it and does not look here.
 *
 * <p>A source is a jsora checkpoint directory (or a run directory: its newest checkpoint). Its
 * recorded run says the model (so the model flags are not needed) and the encoders its inputs came
 * from; the run's data must come from encoders of the same kinds, and fit the model's input widths,
 * or the run stops before training with an error naming both. A model family is a case of {@link
 * #open}: the source's family decides the model the run builds.
 */
final class InitFrom {
  private final Path dir;
  private final RunConfig recorded;

  private InitFrom(Path dir, RunConfig recorded) {
    this.dir = dir;
    this.recorded = recorded;
  }

  /**
   * The source {@code spec} names.
   *
   * @throws IOException naming the path when it holds no checkpoint
   */
  static InitFrom open(String spec) throws IOException {
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
    Path dir = CheckpointLayout.resolve(p);
    RunConfig rc = CheckpointLayout.readConfig(dir);
    if (rc.model().family() != ModelFamily.DIT) {
      throw new IllegalArgumentException(
          "--init-from " + dir + ": model family " + rc.model().family() + " is not trainable");
    }
    return new InitFrom(dir, rc);
  }

  /** The checkpoint the weights come from. */
  Path dir() {
    return dir;
  }

  /**
   * The model the run trains: the source's, with this run's training-only settings (text dropout,
   * activation checkpointing).
   */
  DiTConfig modelConfig(TrainConfig cfg) {
    return recorded
        .dit()
        .withTextDropoutProb(cfg.textDropout())
        .withGradCheckpoint(cfg.gradCheckpoint());
  }

  /**
   * Refuses data the model cannot take: latents of another compressor kind or width, text from
   * another kind of encoder or width.
   *
   * @param compressor the run's compressor (the dataset's latents are already checked against it)
   * @param latentChannels its latent channels
   * @param textDim the width of the dataset's text states
   */
  void checkData(
      ArrowVideoDataset data, CompressorKind compressor, int latentChannels, long textDim) {
    DiTConfig m = recorded.dit();
    String where = "--init-from " + dir + ": ";
    CompressorKind trained = recorded.compressor().kind();
    if (trained != compressor) {
      throw new IllegalArgumentException(
          where
              + "the model was trained on "
              + trained
              + " latents, this run uses compressor "
              + compressor
              + " (dataset "
              + data.directory()
              + "); preprocess the data with --compressor "
              + trained);
    }
    if (m.inChannels() != latentChannels) {
      throw new IllegalArgumentException(
          where
              + "the model takes in_channels "
              + m.inChannels()
              + ", the compressor "
              + compressor
              + " gives "
              + latentChannels);
    }
    TextEncoders.Kind was = TextEncoders.kindOf(recorded.textEncoder());
    TextEncoders.Kind is = TextEncoders.kindOf(data.info().textEncoder());
    if (was != null && is != null && was != is) {
      throw new IllegalArgumentException(
          where
              + "the model was trained on "
              + was
              + " text states ("
              + recorded.textEncoder()
              + "), the dataset "
              + data.directory()
              + " holds "
              + is
              + " states ("
              + data.info().textEncoder()
              + "); preprocess it with the same text encoder");
    }
    if (m.textEmbedDim() != textDim) {
      throw new IllegalArgumentException(
          where
              + "the model takes text_embed_dim "
              + m.textEmbedDim()
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
  void loadInto(Module model, Ema ema) throws IOException {
    Path weights = dir.resolve(CheckpointLayout.MODEL);
    try (Weights.Loaded w = Weights.read(weights)) {
      StrictLoader.load(model, w.tensors(), weights.toString());
    }
    if (ema == null) {
      return;
    }
    Path emaFile = dir.resolve(CheckpointLayout.EMA);
    if (Files.isRegularFile(emaFile)) {
      try (Weights.Loaded w = Weights.read(emaFile)) {
        ema.load(w.tensors(), emaFile.toString());
      }
    } else {
      try (StateDict sd = StateDict.of(model)) {
        ema.load(sd, weights.toString());
      }
    }
  }
}
