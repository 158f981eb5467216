package io.jsora.config;

/**
 * A setting with a value it may not take. {@link #key()} is the setting's config-file name ({@code
 * batch_size}); the command line turns it into the flag ({@code --batch-size}) or the config file's
 * key when it reports the error.
 */
public final class SettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public SettingException(String key, String message) {
    super(key + " " + message);
    this.key = key;
  }

  /** The setting's config-file name. */
  public String key() {
    return key;
  }
}
