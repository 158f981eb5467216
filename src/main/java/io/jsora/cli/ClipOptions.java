package io.jsora.cli;

import io.jsora.data.VideoDirectoryClips;
import io.jsora.model.vae.MovingShapes;
import io.jsora.model.vae.VideoClips;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Where {@code train-vae} and {@code eval-recon} read clips from, and their size. */
final class ClipOptions {
  /** Exactly one source. */
  static final class Source {
    @Option(
        names = "--videos",
        paramLabel = "DIR",
        description =
            "A directory of video files (.mp4, .mkv, .webm, .avi, .mov, .m4v, .gif, .mpg), searched recursively; unreadable files are reported and skipped.")
    Path videos;

    @Option(
        names = "--synthetic",
        paramLabel = "N",
        description = "N generated clips of moving coloured shapes instead of files.")
    Integer synthetic;
  }

  @ArgGroup(exclusive = true, multiplicity = "1", heading = "Clips (one of):%n")
  Source source;

  @Option(
      names = "--frames",
      defaultValue = "16",
      description = "Frames per clip (default: ${DEFAULT-VALUE}).")
  int frames;

  @Option(
      names = "--size",
      defaultValue = "64",
      description =
          "Frames are resized and centre-cropped to SIZE x SIZE (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(
      names = "--fps",
      defaultValue = "0",
      description =
          "Resample videos to this frame rate; 0 keeps every frame (default: ${DEFAULT-VALUE}).")
  double fps;

  @Option(
      names = "--cache-gib",
      defaultValue = "2",
      description =
          "Decoded frames kept in memory, so files are decoded once (default: ${DEFAULT-VALUE} GiB).")
  double cacheGib;

  @Option(
      names = "--data-seed",
      defaultValue = "0",
      description = "Seed of the synthetic clips (default: ${DEFAULT-VALUE}).")
  long dataSeed;

  /** Opens the source. */
  VideoClips open() throws java.io.IOException {
    if (frames < 1 || size < 1) {
      throw new IllegalArgumentException(
          "--frames and --size must be positive, got " + frames + " and " + size);
    }
    if (source.synthetic != null) {
      if (source.synthetic < 1) {
        throw new IllegalArgumentException(
            "--synthetic must be at least 1, got " + source.synthetic);
      }
      return new MovingShapes(source.synthetic, frames, size, size, dataSeed);
    }
    if (!Files.isDirectory(source.videos)) {
      throw new java.nio.file.NoSuchFileException(
          source.videos.toString(), null, "--videos: not a directory");
    }
    try {
      return VideoDirectoryClips.open(source.videos, size, fps, (long) (cacheGib * (1L << 30)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--videos " + e.getMessage(), e);
    }
  }
}
