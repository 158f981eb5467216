package io.jsora.model.vae;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds a model directory: a local path, or a Hugging Face id ({@code org/name}) already in the
 * local Hugging Face cache ({@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code
 * ~/.cache/huggingface/hub}), at {@code models--org--name/snapshots/<rev>/} with {@code rev} from
 * {@code refs/main} (else the newest snapshot). Never touches the network.
 */
public final class ModelDirs {
  private static final Pattern HF_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

  private final Path hubCache;

  /** Looks for cached models under {@code hubCache} (the {@code hub} directory). */
  public ModelDirs(Path hubCache) {
    this.hubCache = hubCache;
  }

  /** The cache the Hugging Face tools use, from the given environment. */
  public static ModelDirs fromEnvironment(Map<String, String> env) {
    String hub = env.get("HF_HUB_CACHE");
    if (hub != null && !hub.isBlank()) {
      return new ModelDirs(Path.of(hub));
    }
    String home = env.get("HF_HOME");
    if (home != null && !home.isBlank()) {
      return new ModelDirs(Path.of(home, "hub"));
    }
    return new ModelDirs(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
  }

  /** The process environment's cache. */
  public static ModelDirs fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  public Path hubCache() {
    return hubCache;
  }

  /**
   * Resolves {@code spec}: an existing directory as it is, else a Hugging Face id looked up in the
   * cache.
   *
   * @param what names the model in errors, e.g. {@code vqvae}
   * @throws NoSuchFileException saying where it looked and how to get the model
   */
  public Path resolve(String spec, String what) throws IOException {
    Path p = Path.of(spec);
    if (Files.isDirectory(p)) {
      return p;
    }
    if (Files.exists(p)) {
      throw new IOException(what + ": " + spec + " is a file; give the model directory holding config.json and the weights");
    }
    if (!HF_ID.matcher(spec).matches()) {
      throw new NoSuchFileException(spec, null, what + ": no such model directory");
    }
    Path repo = hubCache.resolve("models--" + spec.replace("/", "--"));
    Path snapshots = repo.resolve("snapshots");
    Path found = null;
    Path ref = repo.resolve("refs").resolve("main");
    if (Files.isRegularFile(ref)) {
      Path snap = snapshots.resolve(Files.readString(ref).trim());
      if (Files.isDirectory(snap)) {
        found = snap;
      }
    }
    if (found == null && Files.isDirectory(snapshots)) {
      found = newest(snapshots);
    }
    if (found == null) {
      throw new NoSuchFileException(spec, null, what + ": not a local directory, and the Hugging Face cache has no snapshot of it (looked in "
          + snapshots + "); download it first, e.g. `huggingface-cli download " + spec + "`, or pass a local directory");
    }
    return found;
  }

  private static Path newest(Path dir) throws IOException {
    List<Path> subdirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
      ds.forEach(subdirs::add);
    }
    Path best = null;
    FileTime bestTime = null;
    for (Path p : subdirs) {
      FileTime t = Files.getLastModifiedTime(p);
      if (best == null || t.compareTo(bestTime) > 0) {
        best = p;
        bestTime = t;
      }
    }
    return best;
  }

  /**
   * The weights file in {@code dir}: the first of {@code names} that exists.
   *
   * @throws NoSuchFileException listing what was looked for and what the directory holds
   */
  static Path weightsFile(Path dir, String what, String... names) throws IOException {
    for (String n : names) {
      Path f = dir.resolve(n);
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    List<String> present = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(p -> present.add(p.getFileName().toString()));
    }
    present.sort(null);
    throw new NoSuchFileException(dir.toString(), null, what + ": no weights file (looked for " + String.join(", ", names)
        + "; the directory holds: " + (present.isEmpty() ? "nothing" : String.join(", ", present)) + ")");
  }
}
