package io.jsora.checkpoint;

import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the key
 * @param dtype element type
 * @param shape sizes, possibly empty for a scalar
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
  public TensorInfo {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return Shapes.numel(shape);
  }

  public long byteLength() {
    return end - begin;
  }

  @Override
  public String toString() {
    return name + " " + dtype.safetensorsName() + " " + Shapes.format(shape);
  }
}
