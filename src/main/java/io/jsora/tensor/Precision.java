package io.jsora.tensor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/** The arithmetic of matrix products in training and sampling (see {@link Autocast}). */
public enum Precision implements Choice {
  /**
   * bf16 autocast on CUDA, fp32 on the CPU (bf16 is slower than fp32 on CPUs without native bf16).
   */
  AUTO("auto"),
  /** Everything in fp32. */
  FP32("fp32", "f32", "float32"),
  /** bf16 autocast: matmuls and convolutions in bf16, master weights and gradients in fp32. */
  BF16("bf16", "bfloat16");

  private final String id;
  private final List<String> aliases;

  Precision(String id, String... aliases) {
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

  /** Parses {@code auto}, {@code fp32} or {@code bf16}. */
  @JsonCreator
  public static Precision parse(String name) {
    return Choice.parse(Precision.class, name);
  }

  /** Whether bf16 autocast is on for a CUDA ({@code cuda}) or CPU device. */
  public boolean autocast(boolean cuda) {
    return this == BF16 || (this == AUTO && cuda);
  }

  @Override
  public String toString() {
    return id;
  }
}
