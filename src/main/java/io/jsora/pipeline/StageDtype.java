package io.jsora.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import io.jsora.tensor.DType;
import java.util.List;

/** The dtype one stage's weights are held and run in. */
public enum StageDtype implements Choice {
  FP32("fp32", DType.F32, "f32", "float32"),
  BF16("bf16", DType.BF16, "bfloat16");

  private final String id;
  private final DType dtype;
  private final List<String> aliases;

  StageDtype(String id, DType dtype, String... aliases) {
    this.id = id;
    this.dtype = dtype;
    this.aliases = List.of(aliases);
  }

  public DType dtype() {
    return dtype;
  }

  /** Bytes per parameter. */
  public int bytes() {
    return dtype.byteSize();
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

  @JsonCreator
  public static StageDtype parse(String s) {
    return Choice.parse(StageDtype.class, s);
  }

  @Override
  public String toString() {
    return id;
  }
}
