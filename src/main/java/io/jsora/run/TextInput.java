package io.jsora.run;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/** What a model saw of each caption in training, so sampling feeds it the same. */
public enum TextInput implements Choice {
  /** The encoder's token states {@code [L, D]} with their mask. */
  STATES("states"),
  /** Only the pooled vector {@code [D]} (datasets preprocessed with {@code --use-pooled-text}). */
  POOLED("pooled");

  private final String id;

  TextInput(String id) {
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

  /** Parses {@code states} or {@code pooled}. */
  @JsonCreator
  public static TextInput parse(String name) {
    return Choice.parse(TextInput.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
