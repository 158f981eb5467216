package io.jsora.tensor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Copies between Java arrays and tensors, one native memcpy each way. For configuration, test data
 * and I/O, never for per-element work on a hot path.
 */
public final class Tensors {
  private Tensors() {}

  /**
   * Options for new tensors of {@code dtype} on {@code device}; caller owns (scopes release it).
   */
  public static TensorOptions options(DType dtype, org.bytedeco.pytorch.Device device) {
    return new TensorOptions(dtype.scalarType())
        .device(new org.bytedeco.pytorch.DeviceOptional(device));
  }

  /** A new float32 CPU tensor holding a copy of {@code data}; caller owns it. */
  public static Tensor of(float[] data, long... shape) {
    checkSize(data.length, shape);
    try (FloatPointer p = new FloatPointer(data)) {
      return fromBlob(p, DType.F32, shape);
    }
  }

  /** A new float64 CPU tensor holding a copy of {@code data}; caller owns it. */
  public static Tensor of(double[] data, long... shape) {
    checkSize(data.length, shape);
    try (DoublePointer p = new DoublePointer(data)) {
      return fromBlob(p, DType.F64, shape);
    }
  }

  /** A new int64 CPU tensor holding a copy of {@code data}; caller owns it. */
  public static Tensor of(long[] data, long... shape) {
    checkSize(data.length, shape);
    try (LongPointer p = new LongPointer(data)) {
      return fromBlob(p, DType.I64, shape);
    }
  }

  /** A new int32 CPU tensor holding a copy of {@code data}; caller owns it. */
  public static Tensor of(int[] data, long... shape) {
    checkSize(data.length, shape);
    try (IntPointer p = new IntPointer(data)) {
      return fromBlob(p, DType.I32, shape);
    }
  }

  /** A new uint8 CPU tensor holding a copy of {@code data}; caller owns it. */
  public static Tensor ofBytes(byte[] data, long... shape) {
    checkSize(data.length, shape);
    try (BytePointer p = new BytePointer(data)) {
      return fromBlob(p, DType.U8, shape);
    }
  }

  /** Copies memory at {@code p} into a new CPU tensor of {@code dtype}; caller owns it. */
  public static Tensor fromBlob(Pointer p, DType dtype, long... shape) {
    Natives.load();
    try (TensorOptions o = new TensorOptions(dtype.scalarType());
        Tensor view = torch.from_blob(p, shape, o)) {
      return view.clone();
    }
  }

  /** The elements of {@code t} as float32, in row-major order. */
  public static float[] toFloats(Tensor t) {
    try (PointerScope scope = new PointerScope()) {
      Tensor c = t.cpu().to(DType.F32.scalarType()).contiguous();
      float[] out = new float[Math.toIntExact(c.numel())];
      new FloatPointer(c.data_ptr()).get(out);
      return out;
    }
  }

  /** The elements of {@code t} as float64, in row-major order. */
  public static double[] toDoubles(Tensor t) {
    try (PointerScope scope = new PointerScope()) {
      Tensor c = t.cpu().to(DType.F64.scalarType()).contiguous();
      double[] out = new double[Math.toIntExact(c.numel())];
      new DoublePointer(c.data_ptr()).get(out);
      return out;
    }
  }

  /** The elements of {@code t} as int64, in row-major order. */
  public static long[] toLongs(Tensor t) {
    try (PointerScope scope = new PointerScope()) {
      Tensor c = t.cpu().to(DType.I64.scalarType()).contiguous();
      long[] out = new long[Math.toIntExact(c.numel())];
      new LongPointer(c.data_ptr()).get(out);
      return out;
    }
  }

  private static void checkSize(int length, long[] shape) {
    long n = Shapes.numel(shape);
    if (n != length) {
      throw new IllegalArgumentException(
          "shape "
              + Shapes.format(shape)
              + " holds "
              + n
              + " elements but "
              + length
              + " were given");
    }
  }
}
