package io.jsora.run;

import io.jsora.model.dit.DiTConfig;

/** A run's model: its family and that family's config record. */
public sealed interface ModelSpec permits ModelSpec.Dit {
  /** Which family. */
  ModelFamily family();

  /** The family's config record, as written under {@code model} in {@code config.json}. */
  Object config();

  /** A DiT. */
  record Dit(DiTConfig config) implements ModelSpec {
    public Dit {
      if (config == null) {
        throw new IllegalArgumentException("a DiT model spec needs its config");
      }
    }

    @Override
    public ModelFamily family() {
      return ModelFamily.DIT;
    }
  }
}
