package io.jsora.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.stream.Collectors;

/**
 * Binds a JSON/YAML tree to a settings record with errors that say where: the source (a file), the
 * key path ({@code diffusion.prediction}) and what was wrong — an unknown key with the known ones,
 * a value a {@link Choice} or a record's checks refuse, a wrong type.
 */
public final class Settings {
  /** Jackson set up for settings: unknown keys are errors, numbers never silently become enums. */
  public static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private Settings() {}

  /**
   * {@code tree} as a {@code type}.
   *
   * @param source where the tree came from, for messages (a file name, {@code --config f.yaml})
   * @param prefix the key path of {@code tree} inside its file ({@code ""} at the top)
   * @throws SettingsException naming the source, the key and the problem
   */
  public static <T> T bind(JsonNode tree, Class<T> type, String source, String prefix) {
    try {
      return JSON.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      String key = join(prefix, path(e));
      throw new SettingsException(
          source,
          key,
          "unknown key '"
              + key
              + "' (known: "
              + e.getKnownPropertyIds().stream()
                  .map(Object::toString)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + ")",
          e);
    } catch (JsonMappingException e) {
      SettingException bad = settingCause(e);
      if (bad != null) {
        String key = join(prefix, bad.key());
        throw new SettingsException(source, key, "key '" + key + "': " + bad.getMessage(), bad);
      }
      String key = join(prefix, path(e));
      throw new SettingsException(source, key, "key '" + key + "': " + reason(e), e);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SettingsException(source, prefix, e.getOriginalMessage(), e);
    }
  }

  private static SettingException settingCause(Throwable e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof SettingException s) {
        return s;
      }
    }
    return null;
  }

  /** The innermost message: a constructor's or a {@link Choice}'s, else Jackson's first line. */
  private static String reason(JsonMappingException e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof IllegalArgumentException && c.getMessage() != null) {
        return c.getMessage();
      }
    }
    String m = e.getOriginalMessage();
    return m == null ? e.toString() : m.lines().findFirst().orElse(m);
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String join(String prefix, String key) {
    if (prefix == null || prefix.isEmpty()) {
      return key;
    }
    return key.isEmpty() ? prefix : prefix + "." + key;
  }
}
