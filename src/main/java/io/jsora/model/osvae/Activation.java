package io.jsora.model.osvae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The temporal VAE's activation ({@code activation_fn}): {@code swish} (SiLU) or {@code relu}. */
public enum Activation {
  SWISH("swish"),
  RELU("relu");

  private final String json;

  Activation(String json) {
    this.json = json;
  }

  @JsonValue
  public String json() {
    return json;
  }

  @JsonCreator
  public static Activation parse(String s) {
    for (Activation a : values()) {
      if (a.json.equals(s)) {
        return a;
      }
    }
    throw new IllegalArgumentException("activation_fn '" + s + "' is not one of swish, relu");
  }

  /** Applies the activation; the result belongs to the caller's scope. */
  Tensor apply(Tensor x) {
    return this == SWISH ? torch.silu(x) : torch.relu(x);
  }
}
