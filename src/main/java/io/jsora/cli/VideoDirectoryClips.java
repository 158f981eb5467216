package io.jsora.cli;

import io.jsora.model.vae.VideoClips;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Clips read from the video files of a directory. Decoding needs the FFmpeg reader of {@code
 * io.jsora.video}; until this build carries it, opening a directory says so.
 */
final class VideoDirectoryClips {
  private VideoDirectoryClips() {}

  static VideoClips open(Path dir, int frames, int size, double fps) throws IOException {
    throw new IllegalArgumentException("--videos " + dir + ": this build cannot decode video files yet (the FFmpeg reader, "
        + "io.jsora.video, is not part of it); use --synthetic N");
  }
}
