package io.jsora.model.vae;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a Hugging Face {@code config.json} with errors that name the file, the key, what was
 * found and what was expected. Keys are bound explicitly by the config records; keys they do not
 * name are ignored.
 */
final class ConfigJson {
  static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final JsonNode root;

  private ConfigJson(Path file, JsonNode root) {
    this.file = file;
    this.root = root;
  }

  static ConfigJson read(Path file) throws IOException {
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
    return new ConfigJson(file, root);
  }

  Path file() {
    return file;
  }

  boolean has(String key) {
    return root.hasNonNull(key);
  }

  int intValue(String key, Integer fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new IOException(file + ": \"" + key + "\" must be an integer, found " + n);
    }
    return n.intValue();
  }

  double doubleValue(String key, Double fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isNumber()) {
      throw new IOException(file + ": \"" + key + "\" must be a number, found " + n);
    }
    return n.doubleValue();
  }

  /** A nullable number: null when absent or JSON null. */
  Double optionalDouble(String key) throws IOException {
    JsonNode n = root.get(key);
    return n == null || n.isNull() ? null : doubleValue(key, null);
  }

  String stringValue(String key, String fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback);
    }
    if (!n.isTextual()) {
      throw new IOException(file + ": \"" + key + "\" must be a string, found " + n);
    }
    return n.textValue();
  }

  boolean boolValue(String key, boolean fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      throw new IOException(file + ": \"" + key + "\" must be true or false, found " + n);
    }
    return n.booleanValue();
  }

  int[] intArray(String key, int[] fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback).clone();
    }
    if (!n.isArray()) {
      throw new IOException(file + ": \"" + key + "\" must be a list of integers, found " + n);
    }
    int[] out = new int[n.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = n.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt()) {
        throw new IOException(file + ": \"" + key + "\"[" + i + "] must be an integer, found " + e);
      }
      out[i] = e.intValue();
    }
    return out;
  }

  String[] stringArray(String key, String[] fallback) throws IOException {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) {
      return required(key, fallback).clone();
    }
    if (!n.isArray()) {
      throw new IOException(file + ": \"" + key + "\" must be a list of strings, found " + n);
    }
    String[] out = new String[n.size()];
    for (int i = 0; i < out.length; i++) {
      if (!n.get(i).isTextual()) {
        throw new IOException(file + ": \"" + key + "\"[" + i + "] must be a string, found " + n.get(i));
      }
      out[i] = n.get(i).textValue();
    }
    return out;
  }

  private <T> T required(String key, T fallback) throws IOException {
    if (fallback == null) {
      throw new IOException(file + ": missing required key \"" + key + "\"");
    }
    return fallback;
  }

  /** Wraps a record's invariant failure with the file name. */
  IOException invalid(IllegalArgumentException e) {
    return new IOException(file + ": " + e.getMessage(), e);
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  static String pretty(ObjectNode n) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
