package io.jsora.serve;

import java.util.Arrays;
import java.util.Locale;

/**
 * The files a completed job has, chosen by {@code ?variant=}; names are fixed, never the client's.
 */
public enum Variant {
  /** The H.264 MP4 (the default). */
  VIDEO("video", "video.mp4", "video/mp4"),
  /** The first frame as a PNG. */
  THUMBNAIL("thumbnail", "thumbnail.png", "image/png"),
  /** Every frame in a grid, as a PNG. */
  SPRITESHEET("spritesheet", "spritesheet.png", "image/png"),
  /** An animated GIF that loops. */
  GIF("gif", "video.gif", "image/gif");

  private final String id;
  private final String file;
  private final String contentType;

  Variant(String id, String file, String contentType) {
    this.id = id;
    this.file = file;
    this.contentType = contentType;
  }

  public String id() {
    return id;
  }

  /** The file name inside the job's directory. */
  public String file() {
    return file;
  }

  public String contentType() {
    return contentType;
  }

  /**
   * The variant a query names; null (absent) is the MP4.
   *
   * @throws ApiException 400 naming the accepted values
   */
  public static Variant parse(String name) {
    if (name == null || name.isEmpty()) {
      return VIDEO;
    }
    for (Variant v : values()) {
      if (v.id.equals(name.toLowerCase(Locale.ROOT))) {
        return v;
      }
    }
    throw ApiException.invalid(
        "variant",
        "variant: '"
            + name
            + "' is not one of "
            + Arrays.stream(values()).map(Variant::id).toList());
  }
}
