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
}
