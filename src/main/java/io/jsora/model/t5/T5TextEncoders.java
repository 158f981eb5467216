package io.jsora.model.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.HubCache;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import org.bytedeco.pytorch.Device;

/**
 * Text encoders by spec, T5 included: {@link TextEncoders}' specs (a CLIP or built-in directory, a
 * Hugging Face id) plus T5, which {@code io.jsora.model.text} cannot build because this package
 * depends on it. A spec names T5 with the prefix {@code t5:} ({@code t5:DIR}, {@code t5:ORG/NAME}),
 * or without it when the directory's {@code config.json} says {@code "model_type": "t5"}. A T5
 * encoder reports {@code t5:} plus the resolved id as its {@link TextEncoder#id()}, so what
 * datasets and checkpoints record loads T5 again.
 *
 * <p>T5 runs in float32 (upstream's inference precision) and pads to {@code maxLength} tokens,
 * {@link T5Tokenizer#OPEN_SORA_MAX_LENGTH} (300) unless given.
 */
public final class T5TextEncoders {
  /** The prefix of a T5 encoder's spec and id. */
  public static final String PREFIX = TextEncoders.T5_PREFIX;

  private static final ObjectMapper JSON = new ObjectMapper();

  private T5TextEncoders() {}

  /**
   * Loads the encoder {@code spec} names; caller closes it.
   *
   * @param maxLength T5's padded length; null for 300. Only T5 takes one (CLIP's is its config's)
   * @throws IOException when nothing matches or a file is missing, naming it
   * @throws IllegalArgumentException for a {@code t5:} spec whose directory is not T5, or a length
   *     given for another encoder
   */
  public static TextEncoder load(String spec, Integer maxLength, Device device, HubCache hub)
      throws IOException {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty text encoder spec");
    }
    String s = spec.trim();
    boolean named = s.startsWith(PREFIX);
    if (!named && (s.equals(TextEncoders.BUILTIN) || s.startsWith(TextEncoders.BUILTIN_PREFIX))) {
      requireNoLength(spec, maxLength);
      return TextEncoders.load(s, device, hub);
    }
    TextEncoders.Resolved r =
        TextEncoders.resolve(
            named ? s.substring(PREFIX.length()) : s,
            hub,
            Paths.get(System.getProperty("user.home")));
    String type = modelType(r.directory());
    if (!"t5".equals(type)) {
      if (named) {
        throw new IllegalArgumentException(
            "text encoder '"
                + spec
                + "': "
                + r.directory().resolve("config.json")
                + " has model_type "
                + (type == null ? "(none)" : "'" + type + "'")
                + ", expected 't5'");
      }
      requireNoLength(spec, maxLength);
      return TextEncoders.load(s, device, hub); // keeps the id as the spec gives it
    }
    int length = maxLength == null ? T5Tokenizer.OPEN_SORA_MAX_LENGTH : maxLength;
    return T5TextEncoder.load(r.directory(), DType.F32, device, length, PREFIX + r.id());
  }

  /**
   * The encoder for preparing a dataset: {@link TextEncoders#loadForDataset} for {@code builtin}
   * (made from {@code captions} into the dataset), else {@link #load}. Caller closes it.
   */
  public static TextEncoder loadForDataset(
      String spec,
      Integer maxLength,
      Path datasetDir,
      Collection<String> captions,
      long seed,
      Device device,
      HubCache hub)
      throws IOException {
    if (spec != null && spec.trim().equals(TextEncoders.BUILTIN)) {
      requireNoLength(spec, maxLength);
      return TextEncoders.loadForDataset(spec, datasetDir, captions, seed, device, hub);
    }
    return load(spec, maxLength, device, hub);
  }

  /** Whether an encoder id (as datasets and checkpoints record it) names T5. */
  public static boolean isT5(String id) {
    return id != null && id.startsWith(PREFIX);
  }

  /** {@code model_type} of {@code dir/config.json}; null when absent. */
  private static String modelType(Path dir) throws IOException {
    Path f = dir.resolve("config.json");
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode j;
    try {
      j = JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IOException(f + ": not valid JSON: " + e.getMessage(), e);
    }
    return j.hasNonNull("model_type") ? j.get("model_type").asText() : null;
  }

  private static void requireNoLength(String spec, Integer maxLength) {
    if (maxLength != null) {
      throw new IllegalArgumentException(
          "text encoder '"
              + spec
              + "': a maximum length ("
              + maxLength
              + ") is a T5 setting; this encoder's is fixed by its config");
    }
  }
}
