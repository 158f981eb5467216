package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * An exponential moving average of a model's parameters, kept in fp32 whatever the model's dtype:
 * after each optimizer step {@code ema ← decay·ema + (1 − decay)·param} (DiT's {@code update_ema};
 * upstream decay 0.9999). Sample with the averaged weights through {@link #swapInto}.
 *
 * <p>Buffers are not averaged; checkpoints store the model's buffers beside the EMA parameters so
 * {@code ema.safetensors} loads into a model like {@code model.safetensors}.
 */
public final class Ema implements AutoCloseable {
  private final double decay;
  private final List<String> names;
  private final List<Tensor> source;
  private final List<Tensor> shadow;

  private Ema(double decay, List<String> names, List<Tensor> source, List<Tensor> shadow) {
    this.decay = decay;
    this.names = names;
    this.source = source;
    this.shadow = shadow;
  }

  /**
   * Starts an average at the current parameters of {@code model} (all of them, trainable or not).
   * The EMA keeps handles on the model's parameters for {@link #update()}.
   */
  public static Ema of(Module model, double decay) {
    if (!(decay >= 0 && decay <= 1)) {
      throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + decay);
    }
    List<String> names = new ArrayList<>();
    List<Tensor> source = new ArrayList<>();
    List<Tensor> shadow = new ArrayList<>();
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      StringTensorDict dict = model.named_parameters(true);
      for (long i = 0; i < dict.size(); i++) {
        var item = dict.get(i);
        Tensor p = item.value();
        names.add(item.key().getString());
        source.add(Scopes.keep(new Tensor(p)));
        shadow.add(Scopes.keep(p.detach().to(ScalarType.Float).clone()));
      }
    }
    return new Ema(decay, Collections.unmodifiableList(names), source, shadow);
  }

  public double decay() {
    return decay;
  }

  /** Parameter names, in the model's order. */
  public List<String> names() {
    return names;
  }

  /** One update with the configured decay. */
  public void update() {
    update(decay);
  }

  /** One update {@code ema ← d·ema + (1 − d)·param}; {@code d = 0} copies the parameters. */
  public void update(double d) {
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Scalar keep = new Scalar(d);
      Scalar take = new Scalar(1 - d);
      for (int i = 0; i < shadow.size(); i++) {
        shadow.get(i).mul_(keep).add_(source.get(i).detach().to(ScalarType.Float), take);
      }
    }
  }

  /** Copies the averaged weights into {@code target}'s parameters of the same names. */
  public void copyTo(Module target) {
    try (StateDict sd = stateDict()) {
      copy(sd, target, "EMA");
    }
  }

  /** Weights of a module swapped out while the EMA is in; {@link #close()} puts them back. */
  public static final class Swap implements AutoCloseable {
    private final Module target;
    private final StateDict saved;

    private Swap(Module target, StateDict saved) {
      this.target = target;
      this.saved = saved;
    }

    @Override
    public void close() {
      try (saved) {
        copy(saved, target, "saved weights");
      }
    }
  }

  /**
   * Puts the averaged weights into {@code target} until the returned object is closed: {@code try
   * (Ema.Swap s = ema.swapInto(model)) { sample(model); }}.
   */
  public Swap swapInto(Module target) {
    StateDict saved = new StateDict();
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard();
        StateDict current = StateDict.of(target)) {
      for (String n : names) {
        Tensor p = current.get(n);
        if (p == null) {
          throw new IllegalArgumentException(
              "EMA parameter '" + n + "' is not a parameter of the target module");
        }
        saved.put(n, Scopes.keep(p.detach().clone()));
      }
    } catch (RuntimeException e) {
      saved.close();
      throw e;
    }
    copyTo(target);
    return new Swap(target, saved);
  }

  private static void copy(StateDict from, Module target, String what) {
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard();
        StateDict current = StateDict.of(target)) {
      for (String n : from.names()) {
        Tensor dst = current.get(n);
        if (dst == null) {
          throw new IllegalArgumentException(
              what + ": '" + n + "' is not a parameter of the target module");
        }
        dst.copy_(from.get(n));
      }
    }
  }

  /**
   * The averaged weights as new handles on the fp32 shadow tensors (no copy); caller closes the
   * state dict.
   */
  public StateDict stateDict() {
    StateDict sd = new StateDict();
    for (int i = 0; i < names.size(); i++) {
      sd.put(names.get(i), new Tensor(shadow.get(i)));
    }
    return sd;
  }

  /**
   * Replaces the averaged weights with {@code weights} (entries that are not parameters, such as
   * buffers saved beside them, are ignored).
   *
   * @throws IllegalArgumentException naming missing parameters and shape mismatches
   */
  public void load(StateDict weights, String source) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Tensor w = weights.get(names.get(i));
      if (w == null) {
        problems.add("missing " + names.get(i));
      } else if (!Arrays.equals(Shapes.of(w), Shapes.of(shadow.get(i)))) {
        problems.add(
            names.get(i)
                + ": model "
                + Arrays.toString(Shapes.of(shadow.get(i)))
                + ", EMA "
                + Arrays.toString(Shapes.of(w)));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          source + ": EMA weights do not match the model: " + String.join("; ", problems));
    }
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      for (int i = 0; i < names.size(); i++) {
        shadow.get(i).copy_(weights.get(names.get(i)));
      }
    }
  }

  @Override
  public void close() {
    source.forEach(Tensor::close);
    shadow.forEach(Tensor::close);
  }
}
