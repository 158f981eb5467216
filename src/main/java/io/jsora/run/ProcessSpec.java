package io.jsora.run;

import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.rflow.RFlowConfig;

/** A run's diffusion process: which one and its config record. */
public sealed interface ProcessSpec permits ProcessSpec.Iddpm, ProcessSpec.RFlow {
  /** Which process. */
  DiffusionProcess process();

  /** The process's config record, as written under {@code diffusion} in {@code config.json}. */
  Object config();

  /** Gaussian diffusion (IDDPM). */
  record Iddpm(DiffusionConfig config) implements ProcessSpec {
    public Iddpm {
      if (config == null) {
        throw new IllegalArgumentException("an IDDPM process spec needs its config");
      }
    }

    @Override
    public DiffusionProcess process() {
      return DiffusionProcess.IDDPM;
    }
  }

  /** Rectified flow (Open-Sora 1.2). */
  record RFlow(RFlowConfig config) implements ProcessSpec {
    public RFlow {
      if (config == null) {
        throw new IllegalArgumentException("a rectified-flow process spec needs its config");
      }
    }

    @Override
    public DiffusionProcess process() {
      return DiffusionProcess.RFLOW;
    }
  }
}
