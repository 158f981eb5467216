package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The training videos' size and rate, recorded for sampling's defaults; each may be unknown (null).
 *
 * @param frames frames per clip
 * @param height pixels
 * @param width pixels
 * @param fps frames per second
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DataInfo(
    @JsonProperty("frames") Integer frames,
    @JsonProperty("height") Integer height,
    @JsonProperty("width") Integer width,
    @JsonProperty("fps") Double fps) {
  public static final DataInfo UNKNOWN = new DataInfo(null, null, null, null);

  /**
   * The frame rate an STDiT3 is conditioned on for this data, in training and sampling alike:
   * upstream's image rate 120 when the clips are single frames, else the recorded rate rounded down
   * (upstream passes {@code fps // frame_interval}), else 24 (upstream's sampling default).
   */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public double conditioningFps() {
    if (frames != null && frames == 1) {
      return 120;
    }
    return fps != null ? Math.floor(fps) : 24;
  }
}
