package io.jsora.model.vae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/** What a model diffuses in: the video itself or a compressor's latents. */
public enum CompressorKind implements Choice {
  /** Pixels, scaled to [-0.5, 0.5]: no compression. */
  RAW("raw"),
  /** VideoGPT's VQ-VAE (the reference's default compressor). */
  VQVAE("vqvae", "videogpt", "vq-vae"),
  /** Stable Diffusion's image VAE applied per frame. */
  VAE("vae", "sd-vae", "sdvae"),
  /**
   * Open-Sora 1.2's video VAE (per-frame SDXL VAE, then a causal temporal VAE); built by the {@code
   * model.osvae} package, which depends on this one.
   */
  OSVAE("osvae", "opensora-vae", "vae-v1.2");

  private final String id;
  private final List<String> aliases;

  CompressorKind(String id, String... aliases) {
    this.id = id;
    this.aliases = List.of(aliases);
  }

  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  /** Parses {@code raw}, {@code vqvae}, {@code vae} or {@code osvae}. */
  @JsonCreator
  public static CompressorKind parse(String name) {
    return Choice.parse(CompressorKind.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
