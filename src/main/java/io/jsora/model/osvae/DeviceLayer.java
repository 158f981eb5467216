package io.jsora.model.osvae;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Base of this package's modules: float32 parameters and buffers created on a chosen device
 * ({@code meta} gives shapes without memory) and registered under upstream's names. Handles kept
 * are new references to the registered tensors ({@code register_parameter} returns a reference
 * into a dictionary that moves as it grows).
 */
abstract class DeviceLayer extends io.jsora.nn.Layer {
  protected final Device device;

  DeviceLayer(Device device) {
    this.device = device;
  }

  /** A float32 trainable parameter of {@code shape} (zeros, to be initialised by the caller). */
  protected final Tensor parameter(String name, long... shape) {
    try (TensorOptions base = new TensorOptions(ScalarType.Float);
        DeviceOptional d = new DeviceOptional(device);
        TensorOptions o = base.device(d);
        Tensor t = torch.zeros(shape, o)) {
      return own(new Tensor(register_parameter(name, t, true)));
    }
  }

  /** A float32 buffer of {@code shape} holding {@code values} (row-major); upstream's persistent buffers. */
  protected final Tensor buffer(String name, double[] values, long... shape) {
    try (Tensor cpu = io.jsora.tensor.Tensors.of(values, shape);
        Tensor f = cpu.to(device, ScalarType.Float)) {
      return own(new Tensor(register_buffer(name, f)));
    }
  }

  /** PyTorch's default conv initialisation: U(−1/√fan_in, 1/√fan_in). */
  static void defaultInit(Tensor t, long fanIn) {
    double b = 1.0 / Math.sqrt(fanIn);
    try (NoGradGuard g = new NoGradGuard();
        GeneratorOptional none = new GeneratorOptional()) {
      t.uniform_(-b, b, none);
    }
  }

  static void fill(Tensor t, double value) {
    try (NoGradGuard g = new NoGradGuard();
        Scalar v = new Scalar(value)) {
      t.fill_(v);
    }
  }
}
