package io.jsora.model.vae;

import io.jsora.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's decoder: residual blocks, BN and ReLU, then {@code log2(max factor)} transposed 4×4×4
 * convolutions (ReLU between them, none after the last, which outputs 3 channels). Names: {@code
 * res_stack.i}, {@code convts.i.convt}.
 */
final class VqVaeDecoder extends Layer {
  private final List<AttentionResidualBlock> res = new ArrayList<>();
  private final BatchNorm3d norm;
  private final List<SamePadConvTranspose3d> convts = new ArrayList<>();

  VqVaeDecoder(VqVaeConfig c, Device device) {
    super(device);
    Container stack = child("res_stack", new Container(device));
    for (int i = 0; i < c.nResLayers(); i++) {
      res.add(stack.add(Integer.toString(i), new AttentionResidualBlock(c.nHiddens(), device)));
    }
    norm = stack.add(Integer.toString(c.nResLayers()), new BatchNorm3d(c.nHiddens(), device));
    int[] times = c.log2Downsample();
    int steps = VqVaeEncoder.max(times);
    ModuleListImpl list = list("convts");
    for (int i = 0; i < steps; i++) {
      long out = i == steps - 1 ? 3 : c.nHiddens();
      long[] stride = new long[3];
      for (int d = 0; d < 3; d++) {
        stride[d] = times[d] > 0 ? 2 : 1;
        times[d]--;
      }
      SamePadConvTranspose3d convt =
          new SamePadConvTranspose3d(c.nHiddens(), out, 4, stride, device);
      list.push_back(convt);
      convts.add(own(convt));
    }
  }

  /** {@code x [B, n_hiddens, T', H', W']} → {@code [B, 3, T, H, W]}. */
  Tensor forward(Tensor x) {
    Tensor h = x;
    for (AttentionResidualBlock r : res) {
      h = r.forward(h);
    }
    h = torch.relu(norm.forward(h)); // (B, n_hiddens, T', H', W')
    for (int i = 0; i < convts.size(); i++) {
      h = convts.get(i).forward(h); // doubled on the axes still to restore
      if (i < convts.size() - 1) {
        h = torch.relu(h);
      }
    }
    return h; // (B, 3, T, H, W)
  }
}
