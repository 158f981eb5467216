package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's residual block: {@code x + AxialBlock(ReLU(BN(Conv1(ReLU(BN(Conv3(ReLU(BN(x)))))))))},
 * the 3×3×3 conv halving the channels and the 1×1×1 conv restoring them, both without bias.
 * State-dict names follow the upstream {@code nn.Sequential}: {@code block.0} (BN), {@code block.2}
 * (conv), {@code block.3} (BN), {@code block.5} (conv), {@code block.6} (BN), {@code block.8}
 * (axial attention).
 */
final class AttentionResidualBlock extends Layer {
  private final BatchNorm3d bn0;
  private final SamePadConv3d conv2;
  private final BatchNorm3d bn3;
  private final SamePadConv3d conv5;
  private final BatchNorm3d bn6;
  private final AxialBlock attn8;

  AttentionResidualBlock(long hidden, Device device) {
    super(device);
    Container block = child("block", new Container(device));
    long[] one = {1, 1, 1};
    bn0 = block.add("0", new BatchNorm3d(hidden, device));
    conv2 = block.add("2", new SamePadConv3d(hidden, hidden / 2, 3, one, false, device));
    bn3 = block.add("3", new BatchNorm3d(hidden / 2, device));
    conv5 = block.add("5", new SamePadConv3d(hidden / 2, hidden, 1, one, false, device));
    bn6 = block.add("6", new BatchNorm3d(hidden, device));
    attn8 = block.add("8", new AxialBlock(hidden, 2, device));
  }

  /** {@code x [B, C, T, H, W]} → same shape. */
  Tensor forward(Tensor x) {
    Tensor h = torch.relu(bn0.forward(x)); // (B, C, T, H, W)
    h = torch.relu(bn3.forward(conv2.forward(h))); // (B, C/2, T, H, W)
    h = torch.relu(bn6.forward(conv5.forward(h))); // (B, C, T, H, W)
    return x.add(attn8.forward(h)); // (B, C, T, H, W)
  }
}
