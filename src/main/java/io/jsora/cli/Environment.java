package io.jsora.cli;

import io.jsora.checkpoint.HubCache;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the commands take from the process environment. The packages below the command line do not
 * read it: they receive these values.
 */
final class Environment {
  private Environment() {}

  /** The process's environment variables. */
  static Map<String, String> variables() {
    return System.getenv();
  }

  /**
   * Whether progress is drawn as a bar: on a terminal, or when {@code JSORA_PROGRESS} is set
   * (anything else gets a log line every 30 s).
   */
  static boolean progressBar() {
    return System.console() != null || variables().get("JSORA_PROGRESS") != null;
  }

  /** The Hugging Face cache the Hugging Face tools would use in this environment. */
  static HubCache hubCache() {
    return HubCache.fromEnvironment(variables(), Path.of(System.getProperty("user.home")));
  }
}
