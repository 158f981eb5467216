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
  P144("144p", new int[][] {{144, 256}, {256, 144}, {166, 221}, {221, 165}, {192, 192}}),
  P240("240p", new int[][] {{240, 426}, {426, 240}, {276, 368}, {370, 278}, {320, 320}}),
  P360("360p", new int[][] {{360, 640}, {640, 360}, {416, 554}, {554, 416}, {480, 480}}),
  P480("480p", new int[][] {{480, 854}, {854, 480}, {554, 738}, {740, 555}, {640, 640}}),
  P720("720p", new int[][] {{720, 1280}, {1280, 720}, {832, 1110}, {1108, 832}, {960, 960}});

  private final String id;

  /** (height, width) per aspect ratio, in {@link AspectRatio} declaration order. */
  private final int[][] sizes;

  Resolution(String id, int[][] sizes) {
    this.id = id;
    this.sizes = sizes;
  }

  /** Pixel {@code {height, width}} of this resolution at {@code ratio} (upstream's table). */
  public int[] size(AspectRatio ratio) {
    return sizes[ratio.ordinal()].clone();
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
