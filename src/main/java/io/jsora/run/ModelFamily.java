package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * The model families a run can hold; a checkpoint records its family as {@code model_family}
 * (absent in checkpoints written before families existed, which are all {@link #DIT}). A new family
 * is a constant here and a {@link ModelSpec} record for its config.
 */
public enum ModelFamily implements Choice {
  /** The March-2024 DiT ({@link io.jsora.model.dit.DiTConfig}). */
  DIT("dit"),
  /**
   * Open-Sora 1.2's STDiT3 ({@link io.jsora.model.stdit3.STDiT3Config}), trained with rectified
   * flow only.
   */
  STDIT3("stdit3", "STDiT3");

  private final String id;
  private final List<String> aliases;

  ModelFamily(String id, String... aliases) {
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

  /** Parses a family name. */
  @JsonCreator
  public static ModelFamily parse(String name) {
    return Choice.parse(ModelFamily.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
