package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.model.vae.CompressorKind;

/**
 * The compressor a run diffuses in.
 *
 * @param kind which compressor ({@code name} in {@code config.json})
 * @param dir its model directory or Hugging Face id; null for the kind's default
 */
public record CompressorRef(
    @JsonProperty("name") CompressorKind kind, @JsonProperty("dir") String dir) {
  public CompressorRef {
    kind = kind == null ? CompressorKind.RAW : kind;
  }
}
