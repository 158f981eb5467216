package io.jsora.cli;

import io.jsora.config.Choice;
import io.jsora.data.LatentSpec;
import java.util.List;

/**
 * How {@code preprocess --cache-latents} stores raw and VAE latents (VQ-VAE codes are int32
 * indices).
 */
enum LatentDtype implements Choice {
  FLOAT16("float16", LatentSpec.Kind.FLOAT16, "f16", "fp16", "half"),
  FLOAT32("float32", LatentSpec.Kind.FLOAT32, "f32", "fp32", "float");

  private final String id;
  private final LatentSpec.Kind kind;
  private final List<String> aliases;

  LatentDtype(String id, LatentSpec.Kind kind, String... aliases) {
    this.id = id;
    this.kind = kind;
    this.aliases = List.of(aliases);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  LatentSpec.Kind kind() {
    return kind;
  }

  static LatentDtype parse(String s) {
    return Choice.parse(LatentDtype.class, s);
  }
}
