package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.nn.Modulation;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * PixArt's final layer (upstream {@code T2IFinalLayer}): shift and scale from a table plus the
 * timestep vector {@code t} (not {@code t_mlp}), then one Linear to {@code pt·ph·pw·C_out} values
 * per token:
 *
 * <pre>
 *   (shift, scale) = scale_shift_table + t[:, None]
 *   h = LN(x)·(1 + scale) + shift
 *   h0 = LN(h)·(1 + scale0) + shift0       // with x_mask, from t0; frames with mask false take h0
 *   out = linear(h)
 * </pre>
 *
 * Note {@code h0} normalises the already modulated {@code h}, not {@code x}: upstream assigns the
 * modulated tensor back to {@code x} before computing the timestep-0 variant; reproduced as is.
 *
 * <p>State-dict names: {@code scale_shift_table} {@code [2, C]}, {@code linear.{weight,bias}}.
 */
public final class FinalLayer extends Layer {
  private final Tensor scaleShiftTable;
  private final Linear linear;
  private final long dim;

  FinalLayer(long dim, long outputsPerToken, Device meta) {
    this.dim = dim;
    linear = child("linear", new Linear(dim, outputsPerToken, meta));
    scaleShiftTable = own(STDiT3Block.table(this, "scale_shift_table", 2, dim, meta));
  }

  /**
   * @param x {@code [B, T·S, C]}
   * @param t {@code [B, C]}
   * @param xMask {@code [B, T]} bool, or null
   * @param t0 {@code [B, C]} from timestep 0, with xMask
   * @return {@code [B, T·S, pt·ph·pw·C_out]}
   */
  public Tensor forward(Tensor x, Tensor t, Tensor xMask, Tensor t0, long frames, long s) {
    long b = Shapes.of(t)[0];
    Tensor m = scaleShiftTable.unsqueeze(0).add(t.view(b, 1, dim)); // (B, 2, C)
    Tensor h =
        Modulation.modulate(Modulation.norm(x, dim), m.select(1, 0), m.select(1, 1)); // (B, T*S, C)
    if (xMask != null) {
      Tensor m0 = scaleShiftTable.unsqueeze(0).add(t0.view(b, 1, dim)); // (B, 2, C)
      Tensor h0 =
          Modulation.modulate(
              Modulation.norm(h, dim), m0.select(1, 0), m0.select(1, 1)); // (B, T*S, C)
      h = STDiT3Block.select(xMask, h, h0, frames, s); // (B, T*S, C)
    }
    return linear.forward(h); // (B, T*S, pt*ph*pw*C_out)
  }

  public Linear linear() {
    return linear;
  }
}
