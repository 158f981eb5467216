package io.jsora.video;

import java.io.IOException;
import java.nio.file.Path;

/** A file that cannot be used as a video; the message names the file and says why. */
public final class BadVideoException extends IOException {
  /** Why a video was rejected; {@link #code()} is the short form written to skip reports. */
  public enum Reason {
    MISSING("missing"),
    EMPTY("empty"),
    NOT_A_VIDEO("not-a-video"),
    NO_VIDEO_STREAM("no-video-stream"),
    TRUNCATED("truncated"),
    CORRUPT("corrupt"),
    TOO_LONG("too-long");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    /** Short stable name, e.g. {@code truncated}. */
    public String code() {
      return code;
    }
  }

  private final Path file;
  private final Reason reason;

  public BadVideoException(Path file, Reason reason, String detail) {
    super(file + ": " + detail);
    this.file = file;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  public Reason reason() {
    return reason;
  }
}
