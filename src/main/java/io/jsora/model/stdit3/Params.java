package io.jsora.model.stdit3;

import io.jsora.tensor.Scopes;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Creates the parameters and buffers of STDiT3's layers either initialised on the CPU or, for
 * {@link STDiT3#declare}, as storage-less tensors on the {@code meta} device (libtorch cannot move
 * a built module to {@code meta}: {@code set_data} rejects the change of tensor type, so layers are
 * declared there from the start).
 *
 * <p>{@code register_parameter} returns a reference into the module's dictionary, which moves as
 * the dictionary grows, so a new handle is returned; the caller owns it. Temporaries of the
 * initialiser are freed here.
 */
final class Params {
  private Params() {}

  /**
   * Registers a float32 parameter of {@code shape}: {@code init} on the CPU, or empty on {@code
   * meta} (non-null).
   */
  static Tensor parameter(
      Module m,
      String name,
      Device meta,
      Supplier<Tensor> init,
      boolean requiresGrad,
      long... shape) {
    try (Tensor t = create(meta, init, shape)) {
      return new Tensor(m.register_parameter(name, t, requiresGrad));
    }
  }

  /** Registers a persistent float32 buffer, as {@link #parameter}. */
  static Tensor buffer(Module m, String name, Device meta, Supplier<Tensor> init, long... shape) {
    try (Tensor t = create(meta, init, shape)) {
      return new Tensor(m.register_buffer(name, t));
    }
  }

  private static Tensor create(Device meta, Supplier<Tensor> init, long[] shape) {
    if (meta == null) {
      return Scopes.local(() -> new Tensor[] {init.get()})[0];
    }
    try (TensorOptions base = new TensorOptions(ScalarType.Float);
        DeviceOptional d = new DeviceOptional(meta);
        TensorOptions o = base.device(d)) {
      return torch.zeros(shape, o);
    }
  }

  /** PyTorch's default Linear/Conv initialisation: U(−1/sqrt(fan_in), 1/sqrt(fan_in)). */
  static Supplier<Tensor> uniform(long fanIn, long... shape) {
    double bound = 1.0 / Math.sqrt((double) fanIn);
    return () ->
        torch.zeros(shape).uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
  }
}
