package io.jsora.model.t5;

import io.jsora.tensor.DType;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Base of the T5 modules: parameters of one dtype on one device, registered under the Hugging Face
 * names. Built on the {@code meta} device a model declares its names and shapes without memory.
 *
 * <p>Every kept handle is a new reference to the registered tensor, not the one {@code
 * register_parameter} returns (that one points into a dictionary that moves as it grows).
 */
abstract class T5Layer extends io.jsora.nn.Layer {
  /** Parameter dtype and device of the whole model. */
  record Placement(DType dtype, Device device) {}

  protected final Placement placement;

  T5Layer(Placement placement) {
    this.placement = placement;
  }

  /** A new parameter of {@code shape}, zero-filled (uninitialised on {@code meta}). */
  protected final Tensor typedParameter(String name, long... shape) {
    try (TensorOptions base = new TensorOptions(placement.dtype().scalarType());
        DeviceOptional d = new DeviceOptional(placement.device());
        TensorOptions o = base.device(d);
        Tensor t = torch.zeros(shape, o)) {
      return own(new Tensor(register_parameter(name, t, true)));
    }
  }

  /**
   * A child module {@code name} holding one parameter {@code weight} of {@code shape} (a bias-free
   * Linear or an Embedding, as upstream names them: {@code q.weight}); returns the parameter.
   */
  protected final Tensor weightChild(String name, long... shape) {
    return child(name, new Weight(placement, shape)).weight;
  }

  /** A module with one parameter, {@code weight}. */
  static final class Weight extends T5Layer {
    final Tensor weight;

    Weight(Placement p, long... shape) {
      super(p);
      weight = typedParameter("weight", shape);
    }
  }

  /** Registers an existing parameter (a tied weight) under {@code name}; returns a handle to it. */
  protected final Tensor tied(String name, Tensor shared) {
    return own(new Tensor(register_parameter(name, shared, true)));
  }

  /** Fills {@code t} from N(0, std²) drawn from {@code g}, outside autograd. */
  static void normal(Tensor t, double std, Generator g) {
    try (NoGradGuard ng = new NoGradGuard();
        GeneratorOptional go = new GeneratorOptional(g)) {
      t.normal_(0.0, std, go);
    }
  }
}
