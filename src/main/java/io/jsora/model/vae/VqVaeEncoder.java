package io.jsora.model.vae;

import io.jsora.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's encoder: {@code log2(max factor)} strided 4×4×4 convolutions with ReLU (stride 2 on
 * each axis still to be downsampled), a 3×3×3 conv, residual blocks, then BN and ReLU. Names:
 * {@code convs.i.conv}, {@code conv_last.conv}, {@code res_stack.i} ({@code i < n_res_layers}),
 * {@code res_stack.n_res_layers} (the final BN).
 */
final class VqVaeEncoder extends Layer {
  private final List<SamePadConv3d> convs = new ArrayList<>();
  private final SamePadConv3d convLast;
  private final List<AttentionResidualBlock> res = new ArrayList<>();
  private final BatchNorm3d norm;

  VqVaeEncoder(VqVaeConfig c, Device device) {
    super(device);
    int[] times = c.log2Downsample();
    int steps = max(times);
    ModuleListImpl list = list("convs");
    for (int i = 0; i < steps; i++) {
      long in = i == 0 ? 3 : c.nHiddens();
      long[] stride = new long[3];
      for (int d = 0; d < 3; d++) {
        stride[d] = times[d] > 0 ? 2 : 1;
        times[d]--;
      }
      SamePadConv3d conv = new SamePadConv3d(in, c.nHiddens(), 4, stride, true, device);
      list.push_back(conv);
      convs.add(own(conv));
    }
    convLast = child("conv_last", new SamePadConv3d(c.nHiddens(), c.nHiddens(), 3, device));
    Container stack = child("res_stack", new Container(device));
    for (int i = 0; i < c.nResLayers(); i++) {
      res.add(stack.add(Integer.toString(i), new AttentionResidualBlock(c.nHiddens(), device)));
    }
    norm = stack.add(Integer.toString(c.nResLayers()), new BatchNorm3d(c.nHiddens(), device));
  }

  static int max(int[] a) {
    int m = a[0];
    for (int v : a) {
      m = Math.max(m, v);
    }
    return m;
  }

  /** {@code x [B, 3, T, H, W]} → {@code [B, n_hiddens, T/dt, H/dh, W/dw]}. */
  Tensor forward(Tensor x) {
    Tensor h = x;
    for (SamePadConv3d conv : convs) {
      h = torch.relu(conv.forward(h)); // (B, n_hiddens, ...) halved on the axes still to reduce
    }
    h = convLast.forward(h); // (B, n_hiddens, T', H', W')
    for (AttentionResidualBlock r : res) {
      h = r.forward(h);
    }
    return torch.relu(norm.forward(h)); // (B, n_hiddens, T', H', W')
  }
}
