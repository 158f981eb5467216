package io.jsora.model.vae;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Base of the compressor modules: parameters and buffers on a chosen device, registered under
 * their PyTorch state-dict names and owned like every child (see {@link io.jsora.nn.Layer}).
 *
 * <p>{@code register_parameter} returns a reference into the module's parameter dictionary, which
 * moves when the dictionary grows; every handle kept here is therefore a new reference to the
 * registered tensor, not the returned one.
 */
abstract class Layer extends io.jsora.nn.Layer {
  /** Where parameters are created ({@code meta} builds a model without memory, for shapes). */
  protected final Device device;

  Layer(Device device) {
    this.device = device;
  }

  /** float32 options on {@link #device}; caller owns. */
  static TensorOptions floatOptions(Device device) {
    try (TensorOptions base = new TensorOptions(ScalarType.Float);
        DeviceOptional d = new DeviceOptional(device)) {
      return base.device(d);
    }
  }

  /** A new float32 trainable parameter of {@code shape}, uninitialised. */
  protected final Tensor parameter(String name, long... shape) {
    try (TensorOptions o = floatOptions(device);
        Tensor t = torch.zeros(shape, o)) {
      return own(new Tensor(register_parameter(name, t, true)));
    }
  }

  /** Registers {@code init} (closed here) as a buffer and returns a handle to it. */
  protected final Tensor buffer(String name, Tensor init) {
    try (init) {
      return own(new Tensor(register_buffer(name, init)));
    }
  }

  /** A float32 buffer of {@code shape} filled with {@code value}. */
  protected final Tensor buffer(String name, double value, long... shape) {
    try (TensorOptions o = floatOptions(device);
        Scalar v = new Scalar(value)) {
      return buffer(name, torch.full(shape, v, o));
    }
  }


  /** A list child whose items get names {@code name.0}, {@code name.1} ... */
  protected final ModuleListImpl list(String name) {
    return child(name, new ModuleListImpl());
  }


  /** Bounds of PyTorch's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
  static void defaultInit(Tensor t, long fanIn) {
    double b = 1.0 / Math.sqrt(fanIn);
    try (NoGradGuard g = new NoGradGuard();
        GeneratorOptional none = new GeneratorOptional()) {
      t.uniform_(-b, b, none);
    }
  }

  /** Fills a parameter or buffer in place, outside autograd. */
  static void fill(Tensor t, double value) {
    try (NoGradGuard g = new NoGradGuard();
        Scalar v = new Scalar(value)) {
      t.fill_(v);
    }
  }

}
