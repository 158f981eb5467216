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
  DIT("dit");

  private final String id;

  ModelFamily(String id) {
    this.id = id;
  }

  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return List.of();
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
