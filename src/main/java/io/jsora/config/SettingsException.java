package io.jsora.config;

/** A settings file or tree that does not bind: {@link #source()}, {@link #key()} and why. */
public final class SettingsException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String key;

  public SettingsException(String source, String key, String message, Throwable cause) {
    super(source + ": " + message, cause);
    this.source = source;
    this.key = key;
  }

  /** Where the settings came from. */
  public String source() {
    return source;
  }

  /** The key path at fault ({@code train.batch_size}); empty for the whole tree. */
  public String key() {
    return key;
  }
}
