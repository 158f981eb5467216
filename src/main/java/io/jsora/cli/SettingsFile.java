package io.jsora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jsora.config.SettingException;
import io.jsora.config.Settings;
import io.jsora.config.SettingsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * Settings from three layers — a record's defaults, a YAML/JSON file ({@code --config}), the flags
 * given — merged as JSON trees and bound once, with an error that names the flag (when the bad
 * value came from the command line) or the file and key (when it came from the file).
 */
final class SettingsFile {
  private SettingsFile() {}

  /**
   * {@code defaults}, overlaid with {@code file}'s keys (if given) and then with {@code flags} (an
   * object whose non-null fields carry the JSON names), bound as {@code type}.
   */
  static <T> T merge(T defaults, Path file, Object flags, Class<T> type) throws IOException {
    ObjectNode tree = Settings.JSON.valueToTree(defaults);
    String source = "defaults";
    if (file != null) {
      source = "--config " + file;
      tree.setAll(read(file));
    }
    ObjectNode given = Settings.JSON.valueToTree(flags);
    Set<String> fromFlags = new java.util.HashSet<>();
    for (Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
      fromFlags.add(it.next());
    }
    tree.setAll(given);
    try {
      return Settings.bind(tree, type, source, "");
    } catch (SettingsException e) {
      String key = e.key();
      if (fromFlags.contains(key)) {
        String m = e.getCause() instanceof SettingException s ? s.getMessage() : e.getMessage();
        throw new IllegalArgumentException(
            "--"
                + key.replace('_', '-')
                + ": "
                + m.replaceFirst("^" + java.util.regex.Pattern.quote(key) + " ", ""),
            e);
      }
      throw e;
    }
  }

  /** A YAML or JSON mapping of settings. */
  static ObjectNode read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--config " + file + ": no such file");
    }
    ObjectMapper reader =
        file.toString().endsWith(".json")
            ? new ObjectMapper()
            : new ObjectMapper(new YAMLFactory());
    JsonNode node;
    try {
      node = reader.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--config "
              + file
              + ": not a mapping of settings: "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("unreadable"));
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      return Settings.JSON.createObjectNode();
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "--config "
              + file
              + ": expected a mapping of settings (key: value), found "
              + node.getNodeType());
    }
    return (ObjectNode) node;
  }
}
