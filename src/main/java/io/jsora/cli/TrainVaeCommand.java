package io.jsora.cli;

import io.jsora.data.ClipCrop;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoClips;
import io.jsora.model.vae.VqVae;
import io.jsora.model.vae.VqVaeConfig;
import io.jsora.model.vae.VqVaeTrainer;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jsora train-vae --compressor vqvae}: trains VideoGPT's VQ-VAE on clips. */
@Command(
    name = "train-vae",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train the VQ-VAE video compressor (VideoGPT: reconstruction + commitment loss, EMA codebook with dead-code restarts, AdamW).",
      "Checkpoints are model directories (config.json + model.safetensors) that --compressor vqvae --model DIR loads anywhere in jsora."
    })
public final class TrainVaeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--compressor",
      required = true,
      description = "What to train: vqvae (the SD VAE is used pretrained).")
  io.jsora.model.vae.CompressorKind compressor;

  @Mixin ClipOptions clips;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Checkpoint directory (written every --save-every steps and at the end).")
  Path out;

  @Option(
      names = "--preset",
      defaultValue = "hpcai-tech",
      description =
          "Model size for a new model: hpcai-tech (2048x256 codes, 240 hiddens, 4 layers) or small (512x64, 64 hiddens, 2 layers) (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(
      names = "--config",
      paramLabel = "CONFIG.json",
      description = "A VQ-VAE config.json for a new model instead of --preset.")
  Path config;

  @Option(
      names = "--init",
      paramLabel = "DIR|ORG/NAME",
      description =
          "Start from trained weights (a model directory or cached Hugging Face id, e.g. hpcai-tech/vqvae); its codebook is kept.")
  String init;

  @Option(
      names = "--steps",
      defaultValue = "1000",
      description = "Optimizer steps to reach (default: ${DEFAULT-VALUE}).")
  long steps;

  @Option(
      names = "--minutes",
      defaultValue = "0",
      description =
          "Also stop after this many minutes of training; 0 = no limit (default: ${DEFAULT-VALUE}).")
  double minutes;

  @Option(
      names = "--batch",
      defaultValue = "4",
      description = "Clips per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--lr",
      defaultValue = "3e-4",
      description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(
      names = "--weight-decay",
      defaultValue = "0",
      description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(
      names = "--grad-clip",
      defaultValue = "0",
      description = "Clip the gradient norm; 0 = off (default: ${DEFAULT-VALUE}).")
  double gradClip;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description =
          "Seed of initialisation, clip sampling and codebook restarts (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--save-every",
      defaultValue = "500",
      description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
  long saveEvery;

  @Option(
      names = "--log-every",
      defaultValue = "10",
      description = "Steps between log lines (default: ${DEFAULT-VALUE}).")
  long logEvery;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  io.jsora.tensor.DeviceSpec device;

  @Override
  public Integer call() throws Exception {
    if (compressor != io.jsora.model.vae.CompressorKind.VQVAE) {
      throw new IllegalArgumentException(
          "--compressor "
              + compressor
              + ": train-vae trains the VQ-VAE only (vqvae); the SD VAE is used pretrained");
    }
    if (batch < 1 || steps < 0 || saveEvery < 1 || logEvery < 1) {
      throw new IllegalArgumentException(
          "--batch, --save-every and --log-every must be positive and --steps non-negative");
    }
    PrintWriter o = spec.commandLine().getOut();
    Natives.load();
    try (VideoClips data = clips.open();
        Device dev = Devices.resolve(device)) {
      VqVaeTrainer.Settings settings = new VqVaeTrainer.Settings(lr, weightDecay, gradClip, seed);
      VqVaeTrainer trainer;
      if (Files.isRegularFile(out.resolve("trainer_state.json"))) {
        trainer = VqVaeTrainer.resume(out, dev, settings);
        o.printf(Locale.ROOT, "resuming %s at step %d%n", out, trainer.step());
      } else {
        Seeds.manualSeed(seed);
        VqVae model;
        if (init != null) {
          Path dir = Environment.hubCache().resolve(init, "--init");
          model = Compressors.loadVqVae(dir, dev);
        } else {
          model = new VqVae(config != null ? VqVaeConfig.read(config) : preset(preset), dev);
        }
        trainer = new VqVaeTrainer(model, settings);
      }
      VqVae model = trainer.model();
      try (trainer;
          model) {
        train(trainer, model, data, dev, o);
      }
    }
    return 0;
  }

  private void train(VqVaeTrainer trainer, VqVae model, VideoClips data, Device dev, PrintWriter o)
      throws Exception {
    long[] latent = model.latentShapeOf(clips.frames, clips.size, clips.size);
    o.printf(
        Locale.ROOT,
        "vqvae %s, %,d parameters, on %s; %d clips of %dx%dx%d -> latent %s; batch %d%n",
        model.config(),
        model.parameterCount(),
        Devices.name(dev),
        data.size(),
        clips.frames,
        clips.size,
        clips.size,
        Shapes.format(latent),
        batch);
    o.flush();
    Random pick = new Random(Seeds.mix(seed, trainer.step(), 17));
    long start = System.nanoTime();
    long lastSave = trainer.step();
    long firstStep = trainer.step();
    double deadline = minutes > 0 ? minutes * 60e9 : Double.MAX_VALUE;
    VqVaeTrainer.Stats st = null;
    java.util.Set<Integer> bad = new java.util.HashSet<>();
    while (trainer.step() < steps && System.nanoTime() - start < deadline) {
      try (PointerScope s = new PointerScope()) {
        TensorVector v = new TensorVector();
        while (v.size() < batch) {
          int k = pick.nextInt(data.size());
          if (bad.contains(k)) {
            continue;
          }
          try (Tensor c = data.clip(k)) {
            v.push_back(ClipCrop.randomWindow(c, clips.frames, pick, data.name(k)));
          } catch (java.io.IOException | IllegalArgumentException e) {
            bad.add(k);
            o.printf(Locale.ROOT, "skipping %s: %s%n", data.name(k), e.getMessage());
            if (bad.size() == data.size()) {
              throw new IllegalArgumentException(
                  "no usable clip: every one of the " + data.size() + " was skipped");
            }
          }
        }
        st = trainer.step(torch.cat(v, 0));
      }
      if (!Double.isFinite(st.loss())) {
        throw new IllegalStateException(
            "loss became "
                + st.loss()
                + " at step "
                + st.step()
                + "; lower --lr or set --grad-clip");
      }
      if (st.step() % logEvery == 0 || st.step() == steps) {
        double secs = (System.nanoTime() - start) / 1e9;
        o.printf(
            Locale.ROOT,
            "step %d  loss %.4f  recon %.4f  commit %.4f  perplexity %.1f  psnr %.2f dB  %.2f s/step%n",
            st.step(),
            st.loss(),
            st.reconLoss(),
            st.commitmentLoss(),
            st.perplexity(),
            st.psnr(),
            secs / (st.step() - firstStep));
        o.flush();
      }
      if (trainer.step() - lastSave >= saveEvery) {
        trainer.save(out);
        lastSave = trainer.step();
        o.printf(Locale.ROOT, "saved %s (step %d)%n", out, trainer.step());
      }
    }
    trainer.save(out);
    o.printf(
        Locale.ROOT,
        "saved %s (step %d, %.1f min)%n",
        out,
        trainer.step(),
        (System.nanoTime() - start) / 60e9);
    o.flush();
  }

  static VqVaeConfig preset(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "hpcai-tech":
      case "hpcai":
        return VqVaeConfig.hpcaiTech();
      case "small":
        return VqVaeConfig.small();
      default:
        throw new IllegalArgumentException("--preset " + name + ": expected hpcai-tech or small");
    }
  }
}
