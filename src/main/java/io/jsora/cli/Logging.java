package io.jsora.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Switches log verbosity from the command line. */
final class Logging {
  private static volatile boolean verbose;

  private Logging() {}

  static void setVerbose(boolean v) {
    verbose = v;
    if (LoggerFactory.getLogger("io.jsora") instanceof Logger l) {
      l.setLevel(v ? Level.DEBUG : Level.INFO);
    }
  }

  /**
   * Keeps jsora's warnings and errors only (unless --verbose asked for more): for ranks other than
   * 0.
   */
  static void warningsOnly() {
    if (!verbose && LoggerFactory.getLogger("io.jsora") instanceof Logger l) {
      l.setLevel(Level.WARN);
    }
  }

  static boolean verbose() {
    return verbose;
  }
}
