package io.jsora.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Versions of jsora and its libraries, read from the Maven metadata packed in the jars. */
final class Versions {
  private Versions() {}

  /** The version of a Maven artifact on the class path, or "unknown". */
  static String maven(String group, String artifact) {
    String res = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = Versions.class.getResourceAsStream(res)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * The DJL tokenizers version, as {@code <rust tokenizers>-<djl>}, from its bundled properties.
   */
  static String tokenizers() {
    try (InputStream in = Versions.class.getResourceAsStream("/native/lib/tokenizers.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static String jsora() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v != null ? v : maven("io.jsora", "jsora");
  }

  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"jsora " + jsora()};
    }
  }
}
