package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonValue;

/** The reverse process a job runs, as the API names it. */
public enum Sampler {
  /** Ancestral sampling, the reference's. */
  DDPM("ddpm"),
  /** Deterministic DDIM (eta 0): fewer steps for the same quality. */
  DDIM("ddim");

  private final String id;

  Sampler(String id) {
    this.id = id;
  }

  /** The name in requests and in the pipeline's request. */
  @JsonValue
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
