package io.jsora.train;

import io.jsora.data.BucketPlan;
import io.jsora.data.BucketSampler;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.parallel.ParallelContext;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ModelSpec;
import io.jsora.run.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which checkpoint a run resumes, and what it restores of its data order. The checkpoint is the one
 * {@code --resume} names ({@code auto}: the newest in the run directory), the same on every rank,
 * and made for the same model.
 *
 * <p>What it restores of its data order: Weights, EMA, optimizer state, step, schedule and NaN
 * counts always continue ({@link Checkpointer#restore}); the sampler continues at its saved
 * position only when the run takes as many rows per step as the saved one: with another batch size,
 * accumulation or number of replicas the saved position would mean other rows, so the data restarts
 * at the beginning of the saved epoch instead (with a warning).
 */
final class ResumePolicy {
  private static final Logger log = LoggerFactory.getLogger(ResumePolicy.class);

  private ResumePolicy() {}

  /**
   * The checkpoint {@code run} resumes from, if any: found on every rank alike, and for this run's
   * model.
   *
   * @throws IllegalArgumentException when ranks see different checkpoints or the checkpoint's model
   *     differs from the run's
   */
  static Optional<Path> checkpointToResume(TrainConfig cfg, Path runDir, TrainingRun run)
      throws IOException {
    Optional<Path> found = CheckpointLayout.resolveResume(cfg.resume(), runDir);
    agreeAcrossRanks(cfg, runDir, run, found);
    if (found.isPresent()) {
      checkCompatible(found.get(), run.model().spec());
    }
    return found;
  }

  /**
   * Every rank must resume from the same checkpoint: compares the step each rank found (a run
   * directory that is not shared by all nodes shows up here, not as diverging replicas).
   */
  private static void agreeAcrossRanks(
      TrainConfig cfg, Path runDir, TrainingRun run, Optional<Path> mine) {
    ParallelContext ctx = run.context();
    if (ctx.worldSize() == 1) {
      return;
    }
    double found = mine.map(p -> (double) CheckpointLayout.stepOf(p)).orElse(-1.0);
    double[] each = new double[ctx.worldSize()];
    each[ctx.rank()] = found;
    double[] all = run.allReduceSum(each);
    for (int r = 0; r < all.length; r++) {
      if (all[r] != all[0]) {
        throw new IllegalArgumentException(
            "--resume "
                + cfg.resume()
                + ": rank 0 found "
                + describeFound(all[0])
                + " but rank "
                + r
                + " found "
                + describeFound(all[r])
                + " under "
                + runDir.toAbsolutePath()
                + "; every rank must see the same checkpoint directory (a shared file system on several nodes)");
      }
    }
  }

  private static String describeFound(double step) {
    return step < 0 ? "no checkpoint" : "the checkpoint of step " + (long) step;
  }

  /**
   * Refuses to resume a checkpoint made for a different model: another family, or another config (a
   * DiT's activation checkpointing aside, which changes no weight).
   */
  private static void checkCompatible(Path dir, ModelSpec mine) throws IOException {
    ModelSpec saved = CheckpointLayout.readConfig(dir).model();
    if (saved.family() != mine.family()) {
      throw new IllegalArgumentException(
          "--resume "
              + dir
              + ": the checkpoint's model family is "
              + saved.family()
              + ", this run's is "
              + mine.family()
              + " (model_family)");
    }
    boolean same;
    String savedJson;
    String mineJson;
    if (mine instanceof ModelSpec.Dit d) {
      DiTConfig s = ((ModelSpec.Dit) saved).config();
      same = s.withGradCheckpoint(d.config().gradCheckpoint()).equals(d.config());
      savedJson = s.toJson();
      mineJson = d.config().toJson();
    } else {
      STDiT3Config s = ((ModelSpec.Stdit3) saved).config();
      STDiT3Config m = ((ModelSpec.Stdit3) mine).config();
      same = s.equals(m);
      savedJson = s.toJson();
      mineJson = m.toJson();
    }
    if (!same) {
      throw new IllegalArgumentException(
          "--resume "
              + dir
              + ": the checkpoint's model "
              + savedJson.replaceAll("\\s+", " ")
              + " differs from this run's "
              + mineJson.replaceAll("\\s+", " "));
    }
  }

  /**
   * Places {@code sampler} for a run taking {@code globalBatch} rows per step.
   *
   * @param saved the checkpoint's position; null for a fresh run (epoch 0)
   * @param main whether this rank reports
   */
  static void placeSampler(
      SamplerPosition saved, long globalBatch, BucketSampler sampler, boolean main) {
    if (saved == null) {
      sampler.setEpoch(0);
    } else if (saved.bucketed()) {
      sampler.setEpoch(saved.epoch());
      if (main) {
        log.warn(
            "resume: the checkpoint was trained with resolution buckets, this run without; weights, optimizer and "
                + "schedule continue, the data restarts at the beginning of epoch {}",
            saved.epoch());
      }
    } else if (saved.globalBatch() != globalBatch) {
      sampler.setEpoch(saved.epoch());
      if (main) {
        log.warn(
            "resume: the checkpoint was written with {} rows per step, this run takes {} (batch size x accumulation x "
                + "data-parallel replicas); weights, optimizer and schedule continue, the data restarts at the beginning of epoch {}",
            saved.globalBatch(),
            globalBatch,
            saved.epoch());
      }
    } else {
      sampler.restore(saved.state());
    }
  }

  /**
   * Places a bucketed run's {@code plan}: at the saved position when the checkpoint was drawn from
   * the same buckets (on any number of replicas, see {@link BucketPlan#restore}); else at the start
   * of the saved epoch, with a warning.
   *
   * @param saved the checkpoint's position; null for a fresh run (epoch 0)
   * @param main whether this rank reports
   */
  static void placeBuckets(
      SamplerPosition saved, BucketConfig buckets, BucketPlan plan, boolean main) {
    if (saved == null) {
      plan.setEpoch(0);
    } else if (!buckets.equals(saved.buckets())) {
      plan.setEpoch(saved.epoch());
      if (main) {
        log.warn(
            "resume: the checkpoint was trained {}; weights, optimizer and schedule continue, the data restarts "
                + "at the beginning of epoch {}",
            saved.bucketed()
                ? "with another bucket_config (" + saved.buckets().toJson() + ")"
                : "without resolution buckets",
            saved.epoch());
      }
    } else {
      plan.restore(saved.bucketPosition());
    }
  }
}
