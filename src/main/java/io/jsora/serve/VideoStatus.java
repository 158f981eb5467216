package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonValue;

/** A job's state, with OpenAI's names. */
public enum VideoStatus {
  QUEUED("queued"),
  IN_PROGRESS("in_progress"),
  COMPLETED("completed"),
  FAILED("failed"),
  CANCELLED("cancelled");

  private final String id;

  VideoStatus(String id) {
    this.id = id;
  }

  @JsonValue
  public String id() {
    return id;
  }

  /** No further change will happen. */
  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  @Override
  public String toString() {
    return id;
  }
}
