package io.jsora.checkpoint;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * An ordered map from parameter names to tensors that owns its tensors: {@link #close()} releases
 * every one. Names follow PyTorch's {@code state_dict()} convention ({@code
 * blocks.0.attn.qkv.weight}).
 */
public final class StateDict implements AutoCloseable {
  private final Map<String, Tensor> tensors = new LinkedHashMap<>();

  /** Adds {@code t} under {@code name}; the state dict takes ownership. */
  public StateDict put(String name, Tensor t) {
    Tensor old = tensors.put(name, t);
    if (old != null && old != t) {
      old.close();
    }
    return this;
  }

  /** The tensor under {@code name} (still owned by this state dict), or null. */
  public Tensor get(String name) {
    return tensors.get(name);
  }

  /** Removes {@code name} and hands ownership of its tensor to the caller. */
  public Tensor remove(String name) {
    return tensors.remove(name);
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  public Set<String> names() {
    return Collections.unmodifiableSet(tensors.keySet());
  }

  /** Read-only view in insertion order. */
  public Map<String, Tensor> asMap() {
    return Collections.unmodifiableMap(tensors);
  }

  public int size() {
    return tensors.size();
  }

  /** Total number of elements over all tensors. */
  public long numel() {
    long n = 0;
    for (Tensor t : tensors.values()) {
      n += t.numel();
    }
    return n;
  }

  /**
   * Moves the tensors whose names start with {@code prefix} into a new state dict, with the prefix
   * removed from their names; returns the names that did not match (left in this one).
   */
  public StateDict extractPrefix(String prefix, List<String> leftOut) {
    StateDict out = new StateDict();
    for (String name : new ArrayList<>(tensors.keySet())) {
      if (name.startsWith(prefix)) {
        out.put(name.substring(prefix.length()), tensors.remove(name));
      } else if (leftOut != null) {
        leftOut.add(name);
      }
    }
    return out;
  }

  /**
   * The parameters and buffers of {@code module} as a state dict of new handles that alias the
   * module's tensors (no copy); closing it leaves the module intact.
   */
  public static StateDict of(Module module) {
    StateDict sd = new StateDict();
    addAll(sd, module.named_parameters(true));
    addAll(sd, module.named_buffers(true));
    return sd;
  }

  private static void addAll(StateDict sd, StringTensorDict dict) {
    // item.key() and item.value() return owning handles too: release them with a scope
    try (dict;
        PointerScope scope = new PointerScope()) {
      for (long i = 0; i < dict.size(); i++) {
        var item = dict.get(i);
        sd.put(item.key().getString(), Scopes.keep(new Tensor(item.value())));
      }
    }
  }

  /** One line per tensor, for messages. */
  public String describe(String name) {
    Tensor t = tensors.get(name);
    return t == null ? name + " (absent)" : name + " " + Shapes.format(Shapes.of(t));
  }

  @Override
  public void close() {
    for (Tensor t : tensors.values()) {
      if (t != null && !t.isNull()) {
        t.close();
      }
    }
    tensors.clear();
  }
}
