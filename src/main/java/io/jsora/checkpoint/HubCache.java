package io.jsora.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The local Hugging Face hub cache, read without network access: a model id {@code ORG/NAME}
 * (optionally {@code @REVISION}) is found at {@code ROOT/models--ORG--NAME/snapshots/COMMIT/}, the
 * commit read from {@code refs/REVISION} ({@code refs/main} by default). A revision that is itself
 * a snapshot's name is taken directly; with no ref for {@code main}, the newest snapshot.
 *
 * <p>The roots are those the Hugging Face libraries consult, in their order ({@link
 * #fromEnvironment}); the caller passes the environment in.
 */
public final class HubCache {
  private static final Pattern REPO_ID =
      Pattern.compile(
          "[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?(@[A-Za-z0-9._/-]+)?");

  private final List<Path> roots;

  /** A cache made of {@code roots}, searched in order. */
  public HubCache(List<Path> roots) {
    this.roots = List.copyOf(roots);
  }

  /** A cache with the single root {@code hub} (a {@code .../huggingface/hub} directory). */
  public static HubCache at(Path hub) {
    return new HubCache(List.of(hub));
  }

  /**
   * The roots for the given environment variables and home directory: {@code $HF_HUB_CACHE}, {@code
   * $HUGGINGFACE_HUB_CACHE}, {@code $HF_HOME/hub}, {@code $XDG_CACHE_HOME/huggingface/hub}, {@code
   * HOME/.cache/huggingface/hub}, each once.
   */
  public static HubCache fromEnvironment(Map<String, String> env, Path home) {
    Set<Path> roots = new LinkedHashSet<>();
    addIfSet(roots, env.get("HF_HUB_CACHE"), null);
    addIfSet(roots, env.get("HUGGINGFACE_HUB_CACHE"), null);
    addIfSet(roots, env.get("HF_HOME"), "hub");
    addIfSet(roots, env.get("XDG_CACHE_HOME"), "huggingface/hub");
    roots.add(
        home.resolve(".cache").resolve("huggingface").resolve("hub").toAbsolutePath().normalize());
    return new HubCache(new ArrayList<>(roots));
  }

  /**
   * No cache at all: every model must be named by its directory. What library callers that pass no
   * cache get; the command line passes the cache its environment describes ({@link
   * #fromEnvironment}).
   */
  public static final HubCache NONE = new HubCache(List.of());

  public List<Path> roots() {
    return roots;
  }

  /**
   * Whether {@code s} has the form of a model id: {@code [ORG/]NAME}, optionally {@code @REVISION}.
   */
  public static boolean isRepoId(String s) {
    return s != null && !s.startsWith(".") && REPO_ID.matcher(s).matches();
  }

  /**
   * The snapshot directory of model {@code id}, or null; each place looked at in vain is added to
   * {@code looked} with the reason.
   */
  public Path find(String id, List<String> looked) throws IOException {
    String repo = id;
    String revision = "main";
    int at = id.indexOf('@');
    if (at >= 0) {
      repo = id.substring(0, at);
      revision = id.substring(at + 1);
    }
    String folder = "models--" + repo.replace("/", "--");
    for (Path root : roots) {
      Path model = root.resolve(folder);
      if (!Files.isDirectory(model)) {
        looked.add(model + " (absent)");
        continue;
      }
      Path snapshot = snapshot(model, revision, looked);
      if (snapshot != null) {
        return snapshot;
      }
    }
    return null;
  }

  /**
   * Resolves {@code spec}: an existing directory as it is, else a model id found in the cache.
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
      throw new IOException(
          what
              + ": "
              + spec
              + " is a file; give the model directory holding config.json and the weights");
    }
    if (!isRepoId(spec)) {
      throw new NoSuchFileException(spec, null, what + ": no such model directory");
    }
    List<String> looked = new ArrayList<>();
    Path found = find(spec, looked);
    if (found == null) {
      throw new NoSuchFileException(
          spec,
          null,
          what
              + ": not a local directory, and the Hugging Face cache has no snapshot of it (looked at "
              + String.join("; ", looked)
              + "); download it first, e.g. `huggingface-cli download "
              + spec
              + "`, or pass a local directory");
    }
    return found;
  }

  /**
   * The first of {@code names} that is a file in {@code dir}.
   *
   * @param what names the model in errors
   * @throws NoSuchFileException listing what was looked for and what the directory holds
   */
  public static Path firstFile(Path dir, String what, List<String> names) throws IOException {
    for (String n : names) {
      Path f = dir.resolve(n);
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    throw new NoSuchFileException(
        dir.toString(),
        null,
        what
            + ": no weights file (looked for "
            + String.join(", ", names)
            + "; the directory holds: "
            + contents(dir)
            + ")");
  }

  /** The names in {@code dir}, sorted and comma-separated, or {@code nothing}. */
  public static String contents(Path dir) throws IOException {
    List<String> present;
    try (Stream<Path> s = Files.list(dir)) {
      present = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    return present.isEmpty() ? "nothing" : String.join(", ", present);
  }

  private static void addIfSet(Set<Path> roots, String value, String child) {
    if (value != null && !value.isBlank()) {
      Path p = Path.of(value.trim());
      roots.add((child == null ? p : p.resolve(child)).toAbsolutePath().normalize());
    }
  }

  /**
   * The snapshot for {@code revision}: the one {@code refs/REVISION} names; a snapshot named {@code
   * revision}; for {@code main} without a ref, the newest. Null, with the reason in {@code looked},
   * otherwise.
   */
  private static Path snapshot(Path model, String revision, List<String> looked)
      throws IOException {
    Path snapshots = model.resolve("snapshots");
    Path ref = model.resolve("refs").resolve(revision);
    if (Files.isRegularFile(ref)) {
      String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
      Path snap = snapshots.resolve(commit);
      if (Files.isDirectory(snap)) {
        return snap;
      }
      looked.add(snap + " (refs/" + revision + " names it, but it is absent)");
      return null;
    }
    if (Files.isDirectory(snapshots.resolve(revision))) {
      return snapshots.resolve(revision);
    }
    List<Path> all = List.of();
    if (Files.isDirectory(snapshots)) {
      try (Stream<Path> s = Files.list(snapshots)) {
        all = s.filter(Files::isDirectory).sorted().collect(Collectors.toList());
      }
    }
    if (!all.isEmpty() && revision.equals("main")) {
      return newest(all);
    }
    looked.add(
        model
            + " (no refs/"
            + revision
            + "; snapshots: "
            + (all.isEmpty()
                ? "none"
                : all.stream()
                    .map(p -> p.getFileName().toString())
                    .collect(Collectors.joining(", ")))
            + ")");
    return null;
  }

  private static Path newest(List<Path> dirs) throws IOException {
    Path best = null;
    FileTime bestTime = null;
    for (Path p : dirs) {
      FileTime t = Files.getLastModifiedTime(p);
      if (best == null || t.compareTo(bestTime) > 0) {
        best = p;
        bestTime = t;
      }
    }
    return best;
  }
}
