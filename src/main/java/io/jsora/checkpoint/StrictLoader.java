package io.jsora.checkpoint;

import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Copies a state dict into a module's parameters and buffers, in the manner of PyTorch's {@code
 * load_state_dict(strict=True)}: every key must exist on both sides with the same shape. Values are
 * converted to the parameter's dtype and device.
 */
public final class StrictLoader {
  private StrictLoader() {}

  /**
   * Loads {@code weights} into {@code module}.
   *
   * @param source names the weights in error messages (usually the file)
   * @throws StateDictMismatchException listing every missing key, unexpected key and shape
   *     mismatch; the module is unchanged when thrown
   */
  public static void load(Module module, StateDict weights, String source) {
    try (StateDict target = StateDict.of(module)) {
      List<String> missing = new ArrayList<>();
      List<String> unexpected = new ArrayList<>();
      List<String> mismatched = new ArrayList<>();
      for (String name : target.names()) {
        if (!weights.contains(name)) {
          missing.add(target.describe(name));
        } else {
          long[] want = Shapes.of(target.get(name));
          long[] got = Shapes.of(weights.get(name));
          if (!Arrays.equals(want, got)) {
            mismatched.add(
                name + ": model " + Shapes.format(want) + ", weights " + Shapes.format(got));
          }
        }
      }
      for (String name : weights.names()) {
        if (!target.contains(name)) {
          unexpected.add(weights.describe(name));
        }
      }
      if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
        throw new StateDictMismatchException(source, missing, unexpected, mismatched);
      }
      try (PointerScope scope = new PointerScope();
          NoGradGuard g = new NoGradGuard()) {
        for (String name : target.names()) {
          Tensor dst = target.get(name);
          dst.copy_(weights.get(name));
        }
      }
    }
  }
}
