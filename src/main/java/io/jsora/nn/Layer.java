package io.jsora.nn;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Base of jsora's modules: registers children under their PyTorch state-dict names and owns every
 * Java handle it keeps, so closing the root module releases the whole tree at once.
 *
 * <p>Two reasons to hold the handles: a child created from Java is a native object with a Java peer
 * that libtorch calls back into (virtual functions such as {@code to()}), and JavaCPP keeps only a
 * weak reference to that peer, so a child nobody holds can be collected while the parent still
 * calls it (seen as a {@code NullPointerException} inside {@code Module.to}); and a handle nobody
 * closes keeps its native module alive until the garbage collector happens to run.
 *
 * <p>A layer that holds its own tensors (rather than libtorch modules such as {@code LinearImpl})
 * creates them with {@link #parameter} and {@link #buffer} on the device given to its constructor.
 * {@code register_parameter} returns a reference into the module's parameter dictionary, which
 * moves when the dictionary grows; every handle kept here is therefore a new reference to the
 * registered tensor, not the returned one.
 */
public abstract class Layer extends Module {
  private final List<Pointer> owned = new ArrayList<>();

  /**
   * Where {@link #parameter} and {@link #buffer} create tensors ({@code meta} builds a model
   * without memory, for shapes); null for layers made only of libtorch modules, which start on the
   * CPU and move with {@code to()}.
   */
  protected final Device device;

  /** A layer whose children are libtorch modules or other layers. */
  protected Layer() {
    this(null);
  }

  /** A layer that creates its parameters and buffers on {@code device} (the caller keeps it). */
  protected Layer(Device device) {
    this.device = device;
  }

  /** Registers {@code module} as child {@code name} and keeps its handle; returns it. */
  protected final <M extends Module> M child(String name, M module) {
    register_module(name, module);
    return own(module);
  }

  /**
   * Registers {@code module} under {@code parent} (a plain container child) and keeps its handle.
   */
  protected final <M extends Module> M child(Module parent, String name, M module) {
    parent.register_module(name, module);
    return own(module);
  }

  /** Keeps {@code p}, closed with this layer. */
  protected final <P extends Pointer> P own(P p) {
    owned.add(p);
    return p;
  }

  /** A list child whose items get names {@code name.0}, {@code name.1} ... */
  protected final ModuleListImpl list(String name) {
    return child(name, new ModuleListImpl());
  }

  /**
   * A new float32 trainable parameter of {@code shape} on {@link #device}, zero until initialised.
   */
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

  /** A float32 buffer of {@code shape} on {@link #device}, filled with {@code value}. */
  protected final Tensor buffer(String name, double value, long... shape) {
    try (TensorOptions o = floatOptions(device);
        Scalar v = new Scalar(value)) {
      return buffer(name, torch.full(shape, v, o));
    }
  }

  /** float32 options on {@code device} (libtorch's default device when null); caller owns. */
  protected static TensorOptions floatOptions(Device device) {
    TensorOptions base = new TensorOptions(ScalarType.Float);
    if (device == null) {
      return base;
    }
    try (base;
        DeviceOptional d = new DeviceOptional(device)) {
      return base.device(d);
    }
  }

  /**
   * PyTorch's default initialisation of a weight or bias, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in
   * place.
   */
  protected static void defaultInit(Tensor t, long fanIn) {
    double b = 1.0 / Math.sqrt(fanIn);
    try (NoGradGuard g = new NoGradGuard();
        GeneratorOptional none = new GeneratorOptional()) {
      t.uniform_(-b, b, none);
    }
  }

  /** Fills a parameter or buffer in place, outside autograd. */
  protected static void fill(Tensor t, double value) {
    try (NoGradGuard g = new NoGradGuard();
        Scalar v = new Scalar(value)) {
      t.fill_(v);
    }
  }

  /** Number of parameter elements of this module and its descendants. */
  public final long parameterCount() {
    return parameterCount(this);
  }

  /** Number of parameter elements of {@code module} and its descendants. */
  public static long parameterCount(Module module) {
    long n = 0;
    try (TensorVector ps = module.parameters()) {
      for (long i = 0; i < ps.size(); i++) {
        try (Tensor p = ps.get(i)) {
          n += p.numel();
        }
      }
    }
    return n;
  }

  /** Closes every kept handle (newest first), then this module's own handle. */
  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      Pointer p = owned.get(i);
      if (p != null && !p.isNull()) {
        p.close();
      }
    }
    owned.clear();
    super.close();
  }
}
