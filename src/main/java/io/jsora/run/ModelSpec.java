package io.jsora.run;

import io.jsora.model.dit.DiTConfig;
import io.jsora.model.stdit3.STDiT3Config;

/** A run's model: its family and that family's config record. */
public sealed interface ModelSpec permits ModelSpec.Dit, ModelSpec.Stdit3 {
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

  /** An Open-Sora 1.2 STDiT3 (its config in upstream's {@code config.json} names). */
  record Stdit3(STDiT3Config config) implements ModelSpec {
    public Stdit3 {
      if (config == null) {
        throw new IllegalArgumentException("an STDiT3 model spec needs its config");
      }
    }

    @Override
    public ModelFamily family() {
      return ModelFamily.STDIT3;
    }
  }
}
