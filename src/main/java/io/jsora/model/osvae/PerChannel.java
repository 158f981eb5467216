package io.jsora.model.osvae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;

/**
 * A latent normalisation constant as the pipeline config gives it ({@code shift}, {@code scale}):
 * one number for all channels, or one per channel. Upstream turns a number into a 0-d buffer and a
 * list into a {@code [1, C, 1, 1, 1]} buffer; {@link #bufferShape()} says which.
 *
 * @param values the numbers (one when {@code scalar})
 * @param scalar whether the JSON held a bare number
 */
public record PerChannel(double[] values, boolean scalar) {
  public PerChannel {
    if (values == null || values.length == 0) {
      throw new IllegalArgumentException("a shift/scale needs at least one value");
    }
    if (scalar && values.length != 1) {
      throw new IllegalArgumentException(
          "a scalar shift/scale holds one value, found " + values.length);
    }
    for (double v : values) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException(
            "shift/scale values must be finite, found " + Arrays.toString(values));
      }
    }
    values = values.clone();
  }

  /** A bare number. */
  public static PerChannel of(double v) {
    return new PerChannel(new double[] {v}, true);
  }

  /** One value per channel. */
  public static PerChannel perChannel(double... v) {
    return new PerChannel(v, false);
  }

  @Override
  public double[] values() {
    return values.clone();
  }

  /** The buffer's shape: {@code []} for a number, {@code [1, C, 1, 1, 1]} for a list. */
  public long[] bufferShape() {
    return scalar ? new long[0] : new long[] {1, values.length, 1, 1, 1};
  }

  /** Whether this broadcasts over {@code channels} latent channels. */
  public boolean fits(int channels) {
    return scalar || values.length == channels;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static PerChannel fromJson(JsonNode n) {
    if (n.isNumber()) {
      return of(n.doubleValue());
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException("expected a number or a list of numbers, found " + n);
    }
    double[] v = new double[n.size()];
    for (int i = 0; i < v.length; i++) {
      if (!n.get(i).isNumber()) {
        throw new IllegalArgumentException("expected a list of numbers, found " + n);
      }
      v[i] = n.get(i).doubleValue();
    }
    return perChannel(v);
  }

  @JsonValue
  Object toJson() {
    return scalar ? (Object) values[0] : values.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PerChannel p && p.scalar == scalar && Arrays.equals(p.values, values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(values) + Boolean.hashCode(scalar);
  }

  @Override
  public String toString() {
    return scalar ? Double.toString(values[0]) : Arrays.toString(values);
  }
}
