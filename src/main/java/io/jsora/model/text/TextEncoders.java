package io.jsora.model.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Device;

/**
 * Finds and loads a text encoder from a spec, without network access.
 *
 * <p>A spec is one of:
 *
 * <ul>
 *   <li>a local model directory in the Hugging Face layout ({@code config.json}, {@code
 *       tokenizer.json}, {@code model.safetensors} or {@code pytorch_model.bin}), e.g. a download
 *       of {@code openai/clip-vit-base-patch32}, or a directory written by {@link
 *       BuiltinTextEncoder#create}; {@code builtin:DIR} names the latter explicitly;
 *   <li>a Hugging Face model id {@code ORG/NAME} (optionally {@code @REVISION}), found in the local
 *       Hugging Face cache: {@code $HF_HUB_CACHE}, {@code $HF_HOME/hub}, {@code
 *       $XDG_CACHE_HOME/huggingface/hub}, {@code ~/.cache/huggingface/hub}, each holding {@code
 *       models--ORG--NAME/snapshots/REV/}, with the revision read from {@code refs/main} (or the
 *       given revision's ref).
 * </ul>
 *
 * <p>{@code builtin} alone is not loadable: the built-in encoder's vocabulary comes from the
 * captions. The data pipeline, given {@code builtin}, calls {@link #loadForDataset}, which runs
 * {@code BuiltinTextEncoder.create(datasetDir.resolve("text_encoder"), captions, seed)} and loads
 * that directory here; the encoder's {@link TextEncoder#id()} ({@code
 * builtin:/abs/dataset/text_encoder}) is what the dataset records, and what training and sampling
 * pass back to {@link #load}.
 */
public final class TextEncoders {
  private TextEncoders() {}

  /** The spec that asks the data pipeline for the built-in encoder. */
  public static final String BUILTIN = "builtin";

  /** The prefix of a built-in encoder's id. */
  public static final String BUILTIN_PREFIX = "builtin:";

  private static final Pattern REPO_ID =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?(@[A-Za-z0-9._/-]+)?");

  /**
   * Loads the encoder {@code spec} names onto {@code device}; caller closes it.
   *
   * @throws IOException when nothing matches, listing every place looked at; or when the directory
   *     found lacks a file, naming it
   */
  public static TextEncoder load(String spec, Device device) throws IOException {
    Resolved r = resolve(spec, System.getenv(), Paths.get(System.getProperty("user.home")));
    return ClipTextEncoder.open(r.directory(), r.id(), device);
  }

  /** Where the data pipeline writes the built-in encoder, inside a dataset directory. */
  public static final String DATASET_ENCODER_DIR = "text_encoder";

  /**
   * The encoder for preparing a dataset: for {@code builtin}, creates the built-in encoder from
   * {@code captions} (all the dataset's captions) in {@code datasetDir/text_encoder} and loads it;
   * for any other spec, {@link #load}. The result's {@link TextEncoder#id()} is what the dataset
   * records. Caller closes it.
   */
  public static TextEncoder loadForDataset(
      String spec, Path datasetDir, java.util.Collection<String> captions, long seed, Device device) throws IOException {
    if (spec != null && spec.trim().equals(BUILTIN)) {
      Path dir = BuiltinTextEncoder.create(datasetDir.resolve(DATASET_ENCODER_DIR), captions, seed);
      return load(dir.toString(), device);
    }
    return load(spec, device);
  }

  /**
   * Where a spec points.
   *
   * @param directory the model directory
   * @param id what the loaded encoder reports as {@link TextEncoder#id()}: the Hugging Face id as
   *     given, {@code builtin:ABSOLUTE_DIR} for a built-in encoder, else the absolute directory
   */
  public record Resolved(Path directory, String id) {}

  /** Resolves {@code spec} with the process environment; see the class documentation. */
  public static Resolved resolve(String spec) throws IOException {
    return resolve(spec, System.getenv(), Paths.get(System.getProperty("user.home")));
  }

  /** Resolves {@code spec} against the given environment variables and home directory. */
  static Resolved resolve(String spec, Map<String, String> env, Path home) throws IOException {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty text encoder spec");
    }
    String s = spec.trim();
    if (s.equals(BUILTIN)) {
      throw new IllegalArgumentException(
          "'builtin' names the built-in encoder, which is made from a dataset's captions: prepare a dataset with "
              + "--text-encoder builtin (it writes the encoder into the dataset directory), then give that directory "
              + "(or its builtin:DIR id) here");
    }
    List<String> looked = new ArrayList<>();
    if (s.startsWith(BUILTIN_PREFIX)) {
      Path dir = expand(s.substring(BUILTIN_PREFIX.length()), home);
      if (dir == null || !Files.isDirectory(dir)) {
        throw new IOException("text encoder '" + spec + "': " + s.substring(BUILTIN_PREFIX.length()) + " is not a directory");
      }
      Path abs = dir.toAbsolutePath().normalize();
      return new Resolved(abs, BUILTIN_PREFIX + abs);
    }
    Path dir = expand(s, home);
    if (dir != null && Files.isDirectory(dir)) {
      Path abs = dir.toAbsolutePath().normalize();
      return new Resolved(abs, BuiltinTextEncoder.isBuiltin(abs) ? BUILTIN_PREFIX + abs : abs.toString());
    }
    looked.add((dir == null ? s : dir.toAbsolutePath().normalize()) + " (no such directory)");
    if (REPO_ID.matcher(s).matches() && !s.startsWith(".")) {
      String repo = s;
      String revision = "main";
      int at = s.indexOf('@');
      if (at >= 0) {
        repo = s.substring(0, at);
        revision = s.substring(at + 1);
      }
      String folder = "models--" + repo.replace("/", "--");
      for (Path root : hubCaches(env, home)) {
        Path model = root.resolve(folder);
        if (!Files.isDirectory(model)) {
          looked.add(model + " (absent)");
          continue;
        }
        Path snapshot = snapshot(model, revision, looked);
        if (snapshot != null) {
          return new Resolved(snapshot, s);
        }
      }
    }
    throw new IOException("text encoder '" + spec + "' not found (no network is used); looked at:\n  "
        + String.join("\n  ", looked)
        + "\nGive a local model directory (config.json, tokenizer.json, model.safetensors), or download the model "
        + "into the Hugging Face cache on a machine with network and copy the cache here (set HF_HOME if it is "
        + "not in ~/.cache/huggingface).");
  }

  /** The cache roots in the order the Hugging Face libraries consult them, without duplicates. */
  static List<Path> hubCaches(Map<String, String> env, Path home) {
    Set<Path> roots = new LinkedHashSet<>();
    addIfSet(roots, env.get("HF_HUB_CACHE"), null);
    addIfSet(roots, env.get("HUGGINGFACE_HUB_CACHE"), null);
    addIfSet(roots, env.get("HF_HOME"), "hub");
    addIfSet(roots, env.get("XDG_CACHE_HOME"), "huggingface/hub");
    roots.add(home.resolve(".cache").resolve("huggingface").resolve("hub").toAbsolutePath().normalize());
    return new ArrayList<>(roots);
  }

  private static void addIfSet(Set<Path> roots, String value, String child) {
    if (value != null && !value.isBlank()) {
      Path p = Paths.get(value.trim());
      roots.add((child == null ? p : p.resolve(child)).toAbsolutePath().normalize());
    }
  }

  /**
   * The snapshot directory for {@code revision}: {@code refs/REVISION} names a commit whose
   * snapshot is used; a revision that is itself a snapshot's name is used directly; without a ref,
   * a single snapshot is used. Null (with the reason in {@code looked}) otherwise.
   */
  private static Path snapshot(Path model, String revision, List<String> looked) throws IOException {
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
    if (all.size() == 1 && revision.equals("main")) {
      return all.get(0);
    }
    looked.add(model + " (no refs/" + revision + "; snapshots: "
        + (all.isEmpty() ? "none" : all.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", "))) + ")");
    return null;
  }

  private static Path expand(String s, Path home) {
    try {
      if (s.equals("~")) {
        return home;
      }
      if (s.startsWith("~/")) {
        return home.resolve(s.substring(2));
      }
      return Paths.get(s);
    } catch (InvalidPathException e) {
      return null;
    }
  }
}
