package io.jsora.data;

import java.nio.file.Path;

/**
 * Settings of {@link Preprocessor}.
 *
 * @param captions captions JSON or JSONL file
 * @param videoDir directory the captions' file names are relative to
 * @param out output dataset directory
 * @param pooled store the pooled text state {@code [D]} instead of the states {@code [S, D]}
 * @param maxFrames videos with more frames are skipped (the reference's limit is 600); 0 = no limit
 * @param shards number of {@code data-*.arrow} files (units of parallel work and of completion)
 * @param resume continue an interrupted run in {@code out}
 * @param overwrite replace an existing dataset in {@code out}
 * @param textBatch captions per text-encoder call
 * @param chunkVideos videos per record batch (the unit an interrupted run loses at most)
 * @param decodeWorkers videos decoded in parallel, ahead of the text encoder
 * @param rank this process's rank (takes shards {@code s} with {@code s % world == rank})
 * @param world number of processes sharing the work
 */
public record PreprocessConfig(
    Path captions,
    Path videoDir,
    Path out,
    boolean pooled,
    long maxFrames,
    int shards,
    boolean resume,
    boolean overwrite,
    int textBatch,
    int chunkVideos,
    int decodeWorkers,
    int rank,
    int world) {

  public PreprocessConfig {
    if (shards < 1) {
      throw new IllegalArgumentException("--num-shards must be >= 1, got " + shards);
    }
    if (maxFrames < 0) {
      throw new IllegalArgumentException("--max-frames must be >= 0, got " + maxFrames);
    }
    if (textBatch < 1 || chunkVideos < 1 || decodeWorkers < 1) {
      throw new IllegalArgumentException(
          "text batch, chunk and decode workers must be >= 1, got "
              + textBatch
              + ", "
              + chunkVideos
              + ", "
              + decodeWorkers);
    }
    if (world < 1 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException(
          "rank " + rank + " of world " + world + ": need 0 <= rank < world");
    }
    if (resume && overwrite) {
      throw new IllegalArgumentException("--resume and --overwrite exclude each other");
    }
  }

  /**
   * Defaults for the rest: pooled off, 600 frames, 1 shard, text batch 64, 16 videos per batch, 2
   * decoders, one process.
   */
  public static PreprocessConfig of(Path captions, Path videoDir, Path out) {
    return new PreprocessConfig(
        captions, videoDir, out, false, 600, 1, false, false, 64, 16, 2, 0, 1);
  }

  public PreprocessConfig withPooled(boolean p) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        p,
        maxFrames,
        shards,
        resume,
        overwrite,
        textBatch,
        chunkVideos,
        decodeWorkers,
        rank,
        world);
  }

  public PreprocessConfig withMaxFrames(long m) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        pooled,
        m,
        shards,
        resume,
        overwrite,
        textBatch,
        chunkVideos,
        decodeWorkers,
        rank,
        world);
  }

  public PreprocessConfig withShards(int n) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        pooled,
        maxFrames,
        n,
        resume,
        overwrite,
        textBatch,
        chunkVideos,
        decodeWorkers,
        rank,
        world);
  }

  public PreprocessConfig withResume(boolean r) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        pooled,
        maxFrames,
        shards,
        r,
        overwrite,
        textBatch,
        chunkVideos,
        decodeWorkers,
        rank,
        world);
  }

  public PreprocessConfig withOverwrite(boolean o) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        pooled,
        maxFrames,
        shards,
        resume,
        o,
        textBatch,
        chunkVideos,
        decodeWorkers,
        rank,
        world);
  }

  public PreprocessConfig withBatching(int text, int chunk, int workers) {
    return new PreprocessConfig(
        captions, videoDir, out, pooled, maxFrames, shards, resume, overwrite, text, chunk, workers,
        rank, world);
  }

  public PreprocessConfig withRank(int r, int w) {
    return new PreprocessConfig(
        captions,
        videoDir,
        out,
        pooled,
        maxFrames,
        shards,
        resume,
        overwrite,
        textBatch,
        chunkVideos,
        decodeWorkers,
        r,
        w);
  }
}
