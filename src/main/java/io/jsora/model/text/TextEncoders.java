package io.jsora.model.text;

import io.jsora.checkpoint.HubCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
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
 *       Hugging Face cache ({@link HubCache}).
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

  /**
   * The prefix of a T5 encoder's spec and id (the {@code model.t5} package loads those; this
   * package only names them).
   */
  public static final String T5_PREFIX = "t5:";

  /** What kind of encoder an id (as datasets and checkpoints record it) names. */
  public enum Kind {
    T5("T5"),
    BUILTIN("built-in"),
    CLIP("CLIP");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** The kind {@code id} names: {@code t5:...}, {@code builtin:...}, else CLIP; null for null. */
  public static Kind kindOf(String id) {
    if (id == null) {
      return null;
    }
    return id.startsWith(T5_PREFIX)
        ? Kind.T5
        : id.startsWith(BUILTIN_PREFIX) ? Kind.BUILTIN : Kind.CLIP;
  }

  /**
   * Loads the encoder {@code spec} names onto {@code device}; caller closes it.
   *
   * @throws IOException when nothing matches, listing every place looked at; or when the directory
   *     found lacks a file, naming it
   */
  public static TextEncoder load(String spec, Device device, HubCache hub) throws IOException {
    Resolved r = resolve(spec, hub, Paths.get(System.getProperty("user.home")));
    return ClipTextEncoder.open(r.directory(), r.id(), device);
  }

  /** {@link #load(String, Device, HubCache)} with {@link HubCache#NONE} (directories only). */
  public static TextEncoder load(String spec, Device device) throws IOException {
    return load(spec, device, HubCache.NONE);
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
      String spec,
      Path datasetDir,
      java.util.Collection<String> captions,
      long seed,
      Device device,
      HubCache hub)
      throws IOException {
    if (spec != null && spec.trim().equals(BUILTIN)) {
      Path dir = BuiltinTextEncoder.create(datasetDir.resolve(DATASET_ENCODER_DIR), captions, seed);
      return load(dir.toString(), device, hub);
    }
    return load(spec, device, hub);
  }

  /**
   * {@link #loadForDataset(String, Path, java.util.Collection, long, Device, HubCache)} with {@link
   * HubCache#NONE} (directories only).
   */
  public static TextEncoder loadForDataset(
      String spec, Path datasetDir, java.util.Collection<String> captions, long seed, Device device)
      throws IOException {
    return loadForDataset(spec, datasetDir, captions, seed, device, HubCache.NONE);
  }

  /**
   * Where a spec points.
   *
   * @param directory the model directory
   * @param id what the loaded encoder reports as {@link TextEncoder#id()}: the Hugging Face id as
   *     given, {@code builtin:ABSOLUTE_DIR} for a built-in encoder, else the absolute directory
   */
  public record Resolved(Path directory, String id) {}

  /** Resolves {@code spec} against the cache {@code hub}; {@code ~} expands to {@code home}. */
  public static Resolved resolve(String spec, HubCache hub, Path home) throws IOException {
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
        throw new IOException(
            "text encoder '"
                + spec
                + "': "
                + s.substring(BUILTIN_PREFIX.length())
                + " is not a directory");
      }
      Path abs = dir.toAbsolutePath().normalize();
      return new Resolved(abs, BUILTIN_PREFIX + abs);
    }
    Path dir = expand(s, home);
    if (dir != null && Files.isDirectory(dir)) {
      Path abs = dir.toAbsolutePath().normalize();
      return new Resolved(
          abs, BuiltinTextEncoder.isBuiltin(abs) ? BUILTIN_PREFIX + abs : abs.toString());
    }
    looked.add((dir == null ? s : dir.toAbsolutePath().normalize()) + " (no such directory)");
    if (HubCache.isRepoId(s)) {
      Path snapshot = hub.find(s, looked);
      if (snapshot != null) {
        return new Resolved(snapshot, s);
      }
    }
    throw new IOException(
        "text encoder '"
            + spec
            + "' not found (no network is used); looked at:\n  "
            + String.join("\n  ", looked)
            + "\nGive a local model directory (config.json, tokenizer.json, model.safetensors), or download the model "
            + "into the Hugging Face cache on a machine with network and copy the cache here (set HF_HOME if it is "
            + "not in ~/.cache/huggingface).");
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
