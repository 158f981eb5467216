package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.nn.TimestepEmbedder;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A scalar per sample (the timestep, or the fps) to a vector: the 256-wide sinusoid of {@link
 * TimestepEmbedder#sinusoidal} (cos half, then sin half, float32), cast to the weights' dtype, then
 * {@code mlp.0} (Linear), SiLU, {@code mlp.2} (Linear). Upstream's {@code TimestepEmbedder} and
 * {@code SizeEmbedder} compute exactly this for one scalar per sample.
 */
public final class ScalarEmbedder extends Layer {
  private final Linear fc0;
  private final Linear fc2;

  ScalarEmbedder(long dim, Device meta) {
    Module mlp = child("mlp", new Module());
    fc0 = child(mlp, "0", new Linear(TimestepEmbedder.FREQUENCY_DIM, dim, meta));
    fc2 = child(mlp, "2", new Linear(dim, dim, meta));
  }

  /**
   * @param s {@code [B]}
   * @return {@code [B, C]}
   */
  public Tensor forward(Tensor s) {
    Tensor freq =
        TimestepEmbedder.sinusoidal(s, TimestepEmbedder.FREQUENCY_DIM)
            .to(fc0.weight().scalar_type()); // (B, 256)
    return fc2.forward(torch.silu(fc0.forward(freq))); // (B, C)
  }

  public Linear fc0() {
    return fc0;
  }

  public Linear fc2() {
    return fc2;
  }
}
