package io.jsora.data;

import io.jsora.model.vae.VideoClips;
import io.jsora.tensor.Scopes;
import io.jsora.video.DecodeOptions;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Clips read from the video files under a directory (searched recursively, sorted by path): each
 * decoded with FFmpeg, optionally resampled in time, resized so its shorter side is {@code size}
 * and centre-cropped to {@code size × size}. Decoded frames (uint8) are kept in memory up to a
 * budget, so training that revisits the same files decodes each once.
 */
public final class VideoDirectoryClips implements VideoClips {
  /** File extensions taken for videos (lower case, without the dot). */
  public static final Set<String> EXTENSIONS =
      Set.of("mp4", "avi", "mkv", "webm", "mov", "m4v", "gif", "mpg", "mpeg");

  private final Path root;
  private final List<Path> files;
  private final int size;
  private final double fps;
  private final Tensor[] cache;
  private long cacheBytes;
  private final long cacheLimit;

  private VideoDirectoryClips(Path root, List<Path> files, int size, double fps, long cacheLimit) {
    this.root = root;
    this.files = files;
    this.size = size;
    this.fps = fps;
    this.cache = new Tensor[files.size()];
    this.cacheLimit = cacheLimit;
  }

  /**
   * Lists the videos under {@code dir}; fails when there are none.
   *
   * @param size side of the square clips, pixels
   * @param fps frame rate to resample to, or 0 to keep every frame
   * @param cacheLimitBytes decoded frames kept in memory at most
   */
  public static VideoDirectoryClips open(Path dir, int size, double fps, long cacheLimitBytes)
      throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile)
          .filter(VideoDirectoryClips::isVideo)
          .sorted()
          .forEach(files::add);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          dir
              + ": no video files (looked for ."
              + String.join(", .", EXTENSIONS.stream().sorted().toList())
              + ")");
    }
    return new VideoDirectoryClips(dir, files, size, fps, cacheLimitBytes);
  }

  private static boolean isVideo(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1));
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public String name(int index) {
    return root.relativize(files.get(index)).toString();
  }

  /**
   * Decodes (or takes from the cache) clip {@code index}; a bad file is a {@code
   * BadVideoException}.
   */
  @Override
  public synchronized Tensor clip(int index) throws IOException {
    Tensor bytes = cache[index];
    if (bytes == null) {
      Path f = files.get(index);
      VideoInfo info = VideoReader.probe(f);
      // shorter side to `size`, aspect kept, then the centre square
      boolean wide = info.width() >= info.height();
      DecodeOptions o =
          DecodeOptions.NATIVE
              .withFps(fps)
              .withResize(wide ? 0 : size, wide ? size : 0)
              .withCrop(size, size);
      try (DecodedVideo v = VideoReader.decode(f, o)) {
        if (cacheBytes + v.frames().nbytes() > cacheLimit) {
          return Frames.toModel(v.frames());
        }
        // a handle of our own, made in a scope of its own: whatever scope the caller runs in
        // cannot free the cached frames
        try (PointerScope own = new PointerScope()) {
          bytes = Scopes.keep(new Tensor(v.frames()));
        }
        cache[index] = bytes;
        cacheBytes += bytes.nbytes();
      }
    }
    return Frames.toModel(bytes);
  }

  /** Frees the cached frames. */
  @Override
  public synchronized void close() {
    for (int i = 0; i < cache.length; i++) {
      if (cache[i] != null) {
        cache[i].close();
        cache[i] = null;
      }
    }
    cacheBytes = 0;
  }
}
