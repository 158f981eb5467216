package io.jsora.tensor;

import java.util.Locale;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The element types jsora stores and computes with, with their safetensors names and libtorch
 * scalar types.
 *
 * <p>libtorch returns a fresh Java enum object from native calls, so {@code ==} and {@code switch}
 * on a {@link ScalarType} never match; {@link #of(Tensor)} compares the numeric code instead.
 */
public enum DType {
  F64("F64", ScalarType.Double, 8),
  F32("F32", ScalarType.Float, 4),
  F16("F16", ScalarType.Half, 2),
  BF16("BF16", ScalarType.BFloat16, 2),
  I64("I64", ScalarType.Long, 8),
  I32("I32", ScalarType.Int, 4),
  I16("I16", ScalarType.Short, 2),
  I8("I8", ScalarType.Char, 1),
  U8("U8", ScalarType.Byte, 1),
  BOOL("BOOL", ScalarType.Bool, 1);

  private final String safetensorsName;
  private final ScalarType scalarType;
  private final int byteSize;

  DType(String safetensorsName, ScalarType scalarType, int byteSize) {
    this.safetensorsName = safetensorsName;
    this.scalarType = scalarType;
    this.byteSize = byteSize;
  }

  /** The name used in safetensors headers, e.g. {@code BF16}. */
  public String safetensorsName() {
    return safetensorsName;
  }

  public ScalarType scalarType() {
    return scalarType;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  public boolean isFloatingPoint() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /** The dtype of a tensor; throws for types jsora does not store (complex, quantized, fp8). */
  public static DType of(Tensor t) {
    return of(t.scalar_type());
  }

  /** Maps a libtorch scalar type by its numeric code. */
  public static DType of(ScalarType s) {
    int code = s.value;
    for (DType d : values()) {
      if (d.scalarType.value == code) {
        return d;
      }
    }
    throw new IllegalArgumentException("unsupported tensor dtype (scalar type code " + code + ")");
  }

  /** Looks up a safetensors dtype name; null when unknown. */
  public static DType fromSafetensorsName(String name) {
    for (DType d : values()) {
      if (d.safetensorsName.equals(name)) {
        return d;
      }
    }
    return null;
  }

  /**
   * Parses a user-facing dtype name: {@code f32}, {@code float32}, {@code fp32}, {@code bf16},
   * {@code bfloat16}, {@code f16}, {@code fp16}, {@code float16}, {@code half} ...
   */
  public static DType parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "f64":
      case "fp64":
      case "float64":
      case "double":
        return F64;
      case "f32":
      case "fp32":
      case "float32":
      case "float":
        return F32;
      case "f16":
      case "fp16":
      case "float16":
      case "half":
        return F16;
      case "bf16":
      case "bfloat16":
        return BF16;
      case "i64":
      case "int64":
      case "long":
        return I64;
      case "i32":
      case "int32":
      case "int":
        return I32;
      case "i16":
      case "int16":
        return I16;
      case "i8":
      case "int8":
        return I8;
      case "u8":
      case "uint8":
        return U8;
      case "bool":
        return BOOL;
      default:
        throw new IllegalArgumentException(
            "unknown dtype '"
                + name
                + "' (expected one of f64, f32, f16, bf16, i64, i32, i16, i8, u8, bool)");
    }
  }
}
