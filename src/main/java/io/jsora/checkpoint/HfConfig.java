package io.jsora.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Hugging Face {@code config.json} (transformers or diffusers), read with errors that name the
 * file, the key, what was found and what was expected. The config records of the model packages
 * bind its keys explicitly; keys they do not name are ignored, as the Hugging Face libraries do.
 */
public final class HfConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Where the values came from, for messages: a file, or null for a JSON object given in memory.
   */
  private final Path file;

  private final JsonNode root;

  private HfConfig(Path file, JsonNode root) {
    this.file = file;
    this.root = root;
  }

  /**
   * Reads {@code path}: a {@code config.json}, or a model directory holding one.
   *
   * @throws NoSuchFileException when there is no such file
   * @throws IOException naming the file when it is not a JSON object
   */
  public static HfConfig read(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "model config not found");
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IOException(file + ": expected a JSON object");
    }
    return new HfConfig(file, root);
  }

  /**
   * A config already parsed (e.g. the {@code text_config} object inside a whole model's config);
   * messages then name the key alone.
   *
   * @throws IllegalArgumentException when {@code root} is not a JSON object
   */
  public static HfConfig of(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "expected a JSON object, found " + (root == null ? "nothing" : root.getNodeType()));
    }
    return new HfConfig(null, root);
  }

  /** The file read, or null for a config given in memory. */
  public Path file() {
    return file;
  }

  /** The parsed JSON object, for keys whose shape the typed getters do not cover. */
  public JsonNode root() {
    return root;
  }

  public boolean has(String key) {
    return root.hasNonNull(key);
  }

  public int intValue(String key, Integer fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new IOException(where() + "\"" + key + "\" must be an integer, found " + n);
    }
    return n.intValue();
  }

  public double doubleValue(String key, Double fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isNumber()) {
      throw new IOException(where() + "\"" + key + "\" must be a number, found " + n);
    }
    return n.doubleValue();
  }

  /** A nullable number: null when absent or JSON null. */
  public Double optionalDouble(String key) throws IOException {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : doubleValue(key, null);
  }

  public String stringValue(String key, String fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isTextual()) {
      throw new IOException(where() + "\"" + key + "\" must be a string, found " + n);
    }
    return n.textValue();
  }

  public boolean boolValue(String key, boolean fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      throw new IOException(where() + "\"" + key + "\" must be true or false, found " + n);
    }
    return n.booleanValue();
  }

  public int[] intArray(String key, int[] fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback).clone();
    }
    if (!n.isArray()) {
      throw new IOException(where() + "\"" + key + "\" must be a list of integers, found " + n);
    }
    int[] out = new int[n.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = n.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt()) {
        throw new IOException(
            where() + "\"" + key + "\"[" + i + "] must be an integer, found " + e);
      }
      out[i] = e.intValue();
    }
    return out;
  }

  public String[] stringArray(String key, String[] fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback).clone();
    }
    if (!n.isArray()) {
      throw new IOException(where() + "\"" + key + "\" must be a list of strings, found " + n);
    }
    String[] out = new String[n.size()];
    for (int i = 0; i < out.length; i++) {
      if (!n.get(i).isTextual()) {
        throw new IOException(
            where() + "\"" + key + "\"[" + i + "] must be a string, found " + n.get(i));
      }
      out[i] = n.get(i).textValue();
    }
    return out;
  }

  private <T> T required(String key, T fallback) throws IOException {
    if (fallback == null) {
      throw new IOException(where() + "missing required key \"" + key + "\"");
    }
    return fallback;
  }

  /** Wraps a record's invariant failure with the file name. */
  public IOException invalid(IllegalArgumentException e) {
    return new IOException(where() + e.getMessage(), e);
  }

  private String where() {
    return file == null ? "" : file + ": ";
  }

  /** An empty JSON object, to write a config into. */
  public static ObjectNode newObject() {
    return JSON.createObjectNode();
  }

  /** {@code n} as pretty-printed JSON text with a final newline. */
  public static String pretty(ObjectNode n) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
