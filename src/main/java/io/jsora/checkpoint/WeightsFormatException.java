package io.jsora.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A weights file that cannot be read: the message names the file and the fault. */
public final class WeightsFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public WeightsFormatException(Path file, String fault) {
    super(file + ": " + fault);
  }

  public WeightsFormatException(Path file, String fault, Throwable cause) {
    super(file + ": " + fault, cause);
  }
}
