package io.jsora.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * The video resolutions Open-Sora 1.2's inference offers by name ({@code
 * opensora/datasets/aspect.py ASPECT_RATIOS}), each with its pixel size per {@link AspectRatio}.
 * Sizes are (height, width) as the upstream tables give them; they need not be multiples of 8 (144p
 * 3:4 is 166 × 221).
 */
public enum Resolution implements Choice {
  P144("144p"),
  P240("240p"),
  P360("360p"),
  P480("480p"),
  P720("720p");

  private final String id;

  Resolution(String id) {
    this.id = id;
  }

  /**
   * Pixel {@code {height, width}} of this resolution at {@code ratio}, from the one copy of
   * upstream's tables ({@link io.jsora.data.bucket.Resolution}, which training buckets use too).
   */
  public int[] size(AspectRatio ratio) {
    io.jsora.data.bucket.AspectRatio row =
        io.jsora.data.bucket.Resolution.parse(id).size(ratio.id());
    return new int[] {row.height(), row.width()};
  }

  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return List.of();
  }

  @JsonCreator
  public static Resolution parse(String s) {
    return Choice.parse(Resolution.class, s);
  }

  @Override
  public String toString() {
    return id;
  }
}
