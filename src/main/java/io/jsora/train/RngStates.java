package io.jsora.train;

import io.jsora.tensor.Tensors;
import java.util.Base64;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;

/**
 * Generator states as text for {@code state.json}. jsora's training randomness is keyed by (seed,
 * step, sample) and needs no saved state; this is for anything that still draws from a running
 * generator (e.g. a data-augmentation stream).
 */
public final class RngStates {
  private RngStates() {}

  /** The generator's full state (libtorch's byte tensor) as base64. */
  public static String capture(Generator g) {
    try (PointerScope s = new PointerScope()) {
      Tensor state = g.get_state();
      byte[] bytes = new byte[Math.toIntExact(state.numel())];
      Tensor c = state.contiguous();
      new org.bytedeco.javacpp.BytePointer(c.data_ptr()).capacity(bytes.length).get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
  }

  /** Restores a state written by {@link #capture}. */
  public static void restore(Generator g, String base64) {
    byte[] bytes = Base64.getDecoder().decode(base64);
    try (Tensor t = Tensors.ofBytes(bytes, bytes.length)) {
      g.set_state(t);
    }
  }
}
