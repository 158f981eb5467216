package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * The diffusion processes a run can train and sample with; a checkpoint records it as {@code
 * process} (absent before processes were named: {@link #IDDPM}). A new process is a constant here
 * and a {@link ProcessSpec} record for its config.
 */
public enum DiffusionProcess implements Choice {
  /** Gaussian diffusion as in IDDPM/DiT ({@link io.jsora.diffusion.DiffusionConfig}). */
  IDDPM("iddpm", "gaussian"),
  /**
   * Open-Sora 1.2's rectified flow ({@link io.jsora.diffusion.rflow.RFlowConfig}): the straight
   * path between data and noise, the model regressed onto its velocity, Euler steps at sampling.
   */
  RFLOW("rflow", "rectified-flow", "RFLOW");

  private final String id;
  private final List<String> aliases;

  DiffusionProcess(String id, String... aliases) {
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

  /** Parses a process name. */
  @JsonCreator
  public static DiffusionProcess parse(String name) {
    return Choice.parse(DiffusionProcess.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
