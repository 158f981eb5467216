package io.jsora.model.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.checkpoint.HfConfig;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains a VideoGPT VQ-VAE as VideoGPT does: loss = {@code mse(x̂, x)/0.06 + 0.25·mse(z, sg(e))}
 * through the straight-through estimator, codebook learnt by EMA with dead-code restarts (see
 * {@link Codebook}), batch norm in training mode; optimiser AdamW.
 *
 * <p>Batches are video {@code [B, 3, T, H, W]} in [-0.5, 0.5], T/H/W multiples of the factors.
 * Checkpoints are Hugging Face-style directories ({@code config.json}, {@code model.safetensors}
 * with every parameter and buffer under VideoGPT's names) that {@link Compressors#load} reads, plus
 * {@code optimizer.pt} and {@code trainer_state.json} for {@link #resume}.
 *
 * <p>Does not own the model; owns the optimiser and the codebook's random generator.
 */
public final class VqVaeTrainer implements AutoCloseable {
  /**
   * @param learningRate AdamW step size (VideoGPT: 3e-4)
   * @param weightDecay AdamW decoupled weight decay (0: VideoGPT trained with plain Adam)
   * @param gradClip clip the gradient norm to this; 0 = no clipping
   * @param seed seeds the codebook's initialisation and restarts
   */
  public record Settings(double learningRate, double weightDecay, double gradClip, long seed) {
    public Settings {
      if (!(learningRate > 0) || weightDecay < 0 || gradClip < 0) {
        throw new IllegalArgumentException(
            "learning rate "
                + learningRate
                + " must be positive, weight decay "
                + weightDecay
                + " and gradient clip "
                + gradClip
                + " non-negative");
      }
    }

    public static Settings defaults() {
      return new Settings(3e-4, 0.0, 0.0, 0);
    }
  }

  /** What one step measured (before the update), as numbers. */
  public record Stats(
      long step,
      double loss,
      double reconLoss,
      double commitmentLoss,
      double perplexity,
      double psnr) {}

  private final VqVae model;
  private final Settings settings;
  private final AdamW optimizer;
  private final Generator random;
  private long step;

  /** A trainer at step 0; a fresh model's codebook is initialised from the first batch. */
  public VqVaeTrainer(VqVae model, Settings settings) {
    this(model, settings, 0);
  }

  private VqVaeTrainer(VqVae model, Settings settings, long step) {
    this.model = model;
    this.settings = settings;
    this.step = step;
    try (AdamWOptions o = new AdamWOptions(settings.learningRate());
        TensorVector params = model.parameters()) {
      o.weight_decay().put(settings.weightDecay());
      optimizer = new AdamW(params, o);
    }
    random = Seeds.cpuGenerator(Seeds.mix(settings.seed(), step));
  }

  public VqVae model() {
    return model;
  }

  /** Optimiser steps taken. */
  public long step() {
    return step;
  }

  /** One optimiser step on {@code batch [B, 3, T, H, W]} (any device; moved to the model's). */
  public Stats step(Tensor batch) {
    model.checkVideo(batch, "batch");
    model.train(true);
    try (PointerScope s = new PointerScope()) {
      Tensor x = batch.to(model.device(), torch.ScalarType.Float);
      optimizer.zero_grad();
      VqVae.TrainOutput o = model.forwardTrain(x, random);
      Tensor loss = o.loss();
      loss.backward();
      if (settings.gradClip() > 0) {
        torch.clip_grad_norm_(model.parameters(), settings.gradClip());
      }
      optimizer.step();
      step++;
      double psnr;
      try (NoGradGuard g = new NoGradGuard()) {
        psnr = ReconMetrics.psnr(x, o.reconstruction().detach()).mean().item_double();
      }
      return new Stats(
          step,
          loss.item_double(),
          o.reconLoss().item_double(),
          o.commitmentLoss().item_double(),
          o.perplexity().item_double(),
          psnr);
    }
  }

  /**
   * Writes a checkpoint directory: {@code config.json}, {@code model.safetensors} (parameters and
   * buffers), {@code optimizer.pt} and {@code trainer_state.json}; each file atomically.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("config.json"), model.config().toJson());
    try (StateDict sd = StateDict.of(model)) {
      SafetensorsWriter.write(
          dir.resolve("model.safetensors"),
          sd,
          Map.of("format", "pt", "step", Long.toString(step)));
    }
    Path tmp = Files.createTempFile(dir, ".optimizer.pt.", ".tmp");
    try (OutputArchive a = new OutputArchive()) {
      optimizer.save(a);
      a.save_to(tmp.toString());
      AtomicFiles.moveAtomically(tmp, dir.resolve("optimizer.pt"));
    } finally {
      Files.deleteIfExists(tmp);
    }
    ObjectNode state = HfConfig.newObject();
    state.put("step", step);
    state.put("learning_rate", settings.learningRate());
    state.put("weight_decay", settings.weightDecay());
    state.put("grad_clip", settings.gradClip());
    state.put("seed", settings.seed());
    AtomicFiles.writeString(dir.resolve("trainer_state.json"), HfConfig.pretty(state));
  }

  /**
   * Continues from a directory {@link #save} wrote: the model (caller owns it, as {@link
   * #model()}), optimiser state and step. The codebook's random stream restarts from (seed, step).
   */
  public static VqVaeTrainer resume(Path dir, Device device, Settings settings) throws IOException {
    Path stateFile = dir.resolve("trainer_state.json");
    JsonNode state = HfConfig.read(stateFile).root();
    if (state == null || !state.has("step") || !state.get("step").canConvertToLong()) {
      throw new IOException(stateFile + ": expected {\"step\": N, ...}");
    }
    VqVae m =
        Compressors.loadVqVae(dir.resolve("config.json"), dir.resolve("model.safetensors"), device);
    VqVaeTrainer t = new VqVaeTrainer(m, settings, state.get("step").longValue());
    Path opt = dir.resolve("optimizer.pt");
    if (Files.isRegularFile(opt)) {
      try (InputArchive a = new InputArchive()) {
        a.load_from(opt.toString());
        t.optimizer.load(a);
      }
    }
    return t;
  }

  @Override
  public void close() {
    optimizer.close();
    random.close();
  }
}
