package io.jsora.cli;

import io.jsora.parallel.DistEnv;
import io.jsora.run.TrainConfig;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML or JSON file of settings (e.g. batch_size: 8).")
  Path config;

  @CommandLine.Mixin TrainFlags flags = new TrainFlags();

  @Override
  public Integer call() throws Exception {
    TrainConfig cfg = effectiveConfig();
    DistEnv env = DistEnv.parse(System.getenv());
    boolean main = env.rank() == 0;
    if (!main) {
      Logging.warningsOnly(); // the other ranks report problems only; rank 0 speaks for the job
    }
    PrintWriter out = spec.commandLine().getOut();
    if (main) {
      out.println("effective config: " + io.jsora.config.Settings.JSON.writeValueAsString(cfg));
      out.flush();
    }
    try (Trainer trainer = new Trainer(cfg, env, Environment.hubCache())) {
      if (main) {
        trainer.listen(new ProgressListener("train", out, cfg.logInterval()));
      }
      Trainer.Result r = trainer.run();
      if (main && r.alreadyComplete()) {
        out.printf(
            Locale.ROOT,
            "the run was already complete: %s is at step %d, its last (max_steps %d); nothing trained. "
                + "Raise --max-steps to train on, or use another --checkpoint-dir (or --resume none) for a new run.%n",
            r.lastCheckpoint(),
            r.steps(),
            cfg.maxSteps());
        out.flush();
      } else if (main) {
        out.printf(
            Locale.ROOT,
            "trained %d steps%s in %.1f s; last loss %.4f; checkpoint %s%s%n",
            r.trained(),
            r.trained() == r.steps()
                ? ""
                : " (steps " + (r.steps() - r.trained() + 1) + " to " + r.steps() + ")",
            r.seconds(),
            r.lastLoss(),
            r.lastCheckpoint(),
            r.nanSkipped() > 0 ? "; " + r.nanSkipped() + " step(s) skipped by the NaN guard" : "");
        out.flush();
      }
    }
    return 0;
  }

  /** Defaults, then the config file, then the flags given, bound once. */
  TrainConfig effectiveConfig() throws IOException {
    return SettingsFile.merge(TrainConfig.defaults(), config, flags, TrainConfig.class);
  }
}
