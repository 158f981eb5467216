package io.jsora.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jsora.parallel.DistEnv;
import io.jsora.train.TrainConfig;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code jsora train}: flags mirror the reference's {@code train.py}; a YAML or JSON file given
 * with {@code --config} sets any of them, and flags given on the command line override it.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a DiT on a preprocessed dataset (jsora preprocess). Checkpoints, metrics.jsonl and loss.png go to --checkpoint-dir.",
      "Settings come from the defaults, then --config FILE (YAML or JSON, keys = long flag names with underscores), then the flags given.",
      "Several processes: jsora launch --nproc-per-node N -- train ... (or torchrun/SLURM variables); --sp-size splits each sample's "
          + "tokens over that many ranks, --zero 2 shards the optimizer state. Only rank 0 writes checkpoints, metrics and progress."
    })
public final class TrainCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON file of settings (e.g. batch_size: 8).")
  Path config;

  @Option(names = {"-m", "--model"}, description = "DiT preset: DiT-S/8, DiT-B/4, DiT-T/4, ... (default DiT-S/8).")
  String model;

  @Option(names = {"-x", "--arch", "--model-arch"}, description = "adaln, cross-attn, token-concat or self-cross (default cross-attn).")
  String arch;

  @Option(names = "--model-config", paramLabel = "CONFIG.json", description = "A DiT config JSON instead of a preset.")
  String modelConfig;

  @Option(names = {"-c", "--compressor"}, description = "raw, vqvae or vae (default raw; must match cached latents).")
  String compressor;

  @Option(names = "--compressor-dir", paramLabel = "DIR|ID", description = "The compressor's model directory or Hugging Face id.")
  String compressorDir;

  @Option(names = {"-d", "--dataset"}, arity = "1..*", paramLabel = "DIR", description = "Preprocessed dataset directory.")
  List<String> dataset;

  @Option(names = {"-v", "--video-dir"}, paramLabel = "DIR", description = "Videos, when latents are not cached (default: recorded in the dataset).")
  String videoDir;

  @Option(names = {"-e", "--epochs"}, description = "Passes over the data, when --max-steps is 0 (default 10).")
  Integer epochs;

  @Option(names = "--max-steps", description = "Optimizer steps; 0 = epochs x steps per epoch (default 0).")
  Long maxSteps;

  @Option(names = {"-b", "--batch-size"}, description = "Samples per micro-batch per data-parallel replica (default 4).")
  Integer batchSize;

  @Option(names = {"-a", "--accumulation-steps"}, description = "Micro-batches per optimizer step (default 1).")
  Integer accumulationSteps;

  @Option(names = "--lr", description = "Peak learning rate (default 1e-4).")
  Double lr;

  @Option(names = "--weight-decay", description = "AdamW weight decay on >=2-D weights (default 0).")
  Double weightDecay;

  @Option(names = "--warmup-steps", description = "Linear warm-up steps (default 0).")
  Long warmupSteps;

  @Option(names = "--lr-schedule", description = "cosine or constant (default cosine).")
  String lrSchedule;

  @Option(names = "--min-lr", description = "Floor of the cosine schedule (default 0).")
  Double minLr;

  @Option(names = "--ema-decay", description = "EMA decay (default 0.9999).")
  Double emaDecay;

  @Option(names = "--grad-clip", description = "Clip the global gradient norm; 0 = measure only (default 0).")
  Double gradClip;

  @Option(names = "--noise-schedule", description = "linear or cosine (default linear).")
  String noiseSchedule;

  @Option(names = "--prediction", description = "eps, v or x0 (default eps).")
  String prediction;

  @Option(names = "--learn-sigma", negatable = true, description = "Learned-range variance (default true).")
  Boolean learnSigma;

  @Option(names = "--text-dropout", description = "Probability of the null text in training, for guidance (default 0.1).")
  Double textDropout;

  @Option(names = "--text-to-c", negatable = true, description = "cross-attn/self-cross: also add the mean text to the conditioning vector.")
  Boolean textToC;

  @Option(names = {"-g", "--grad-checkpoint"}, negatable = true, description = "Recompute block activations in backward.")
  Boolean gradCheckpoint;

  @Option(names = "--save-interval", description = "Optimizer steps between checkpoints; 0 = only at the end (default 20).")
  Long saveInterval;

  @Option(names = "--keep-last", description = "Checkpoints kept, 0 = all (default 3).")
  Integer keepLast;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where checkpoints and logs go (default checkpoints).")
  String checkpointDir;

  @Option(names = "--resume", paramLabel = "auto|DIR|none", description = "auto: continue from the latest checkpoint in --checkpoint-dir if any (default); DIR: from that checkpoint; none: start fresh.")
  String resume;

  @Option(names = "--seed", description = "Seed of initialisation, data order and noise (default 0).")
  Long seed;

  @Option(names = "--device", description = "cpu, cuda, cuda:N or auto (default auto).")
  String device;

  @Option(names = "--log-interval", description = "Steps between log lines when no progress bar is shown (default 10).")
  Integer logInterval;

  @Option(names = "--workers", description = "Background threads building batches (default 2).")
  Integer workers;

  @Option(names = "--precision", description = "auto (bf16 autocast on CUDA, fp32 on CPU), fp32 or bf16 (default auto).")
  String precision;

  @Option(names = "--nan-tolerance", description = "NaN/inf steps in a row before stopping (default 20).")
  Integer nanTolerance;

  @CommandLine.Mixin DistributedOptions dist;

  @Override
  public Integer call() throws Exception {
    TrainConfig cfg = effectiveConfig();
    boolean main = DistEnv.parse(System.getenv()).rank() == 0;
    if (!main) {
      Logging.warningsOnly(); // the other ranks report problems only; rank 0 speaks for the job
    }
    PrintWriter out = spec.commandLine().getOut();
    if (main) {
      out.println("effective config: " + new ObjectMapper().writeValueAsString(cfg));
      out.flush();
    }
    try (Trainer trainer = new Trainer(cfg)) {
      if (main) {
        trainer.listen(new ProgressListener("train", out, cfg.logInterval()));
      }
      Trainer.Result r = trainer.run();
      if (main) {
        out.printf(Locale.ROOT, "trained %d steps in %.1f s; last loss %.4f; checkpoint %s%s%n", r.steps(), r.seconds(), r.lastLoss(),
            r.lastCheckpoint(), r.nanSkipped() > 0 ? "; " + r.nanSkipped() + " step(s) skipped by the NaN guard" : "");
        out.flush();
      }
    }
    return 0;
  }

  /** Defaults, then the config file, then the flags given. */
  TrainConfig effectiveConfig() throws IOException {
    TrainConfig cfg = TrainConfig.defaults();
    if (config != null) {
      if (!Files.isRegularFile(config)) {
        throw new IllegalArgumentException("--config " + config + ": no such file");
      }
      ObjectMapper reader = config.toString().endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
      Map<String, Object> file;
      try {
        file = reader.readValue(config.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
      } catch (IOException e) {
        throw new IllegalArgumentException("--config " + config + ": not a mapping of settings: "
            + e.getMessage().lines().findFirst().orElse("unreadable"));
      }
      try {
        cfg = cfg.with(file == null ? Map.of() : file);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--config " + config + ": " + e.getMessage(), e);
      }
    }
    Map<String, Object> flags = new LinkedHashMap<>();
    for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
      String key = o.longestName().replaceFirst("^--", "").replace('-', '_');
      if (key.equals("config") || key.equals("help") || key.equals("version") || key.equals("verbose")) {
        continue;
      }
      Object value = o.getValue();
      flags.put(key.equals("model_arch") ? "arch" : key, value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value);
    }
    return cfg.with(flags);
  }
}
