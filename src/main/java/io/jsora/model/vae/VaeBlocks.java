package io.jsora.model.vae;

import io.jsora.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The three block kinds of the SD VAE's encoder and decoder, with diffusers' names. */
final class VaeBlocks {
  private VaeBlocks() {}

  /**
   * {@code DownEncoderBlock2D}: {@code resnets.i}, then optionally {@code downsamplers.0.conv}, a
   * 3×3 stride-2 conv after padding right and bottom by one (halves even H and W).
   */
  static final class Down extends Layer {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Conv2d downsample;

    Down(long in, long out, int layers, boolean addDownsample, long groups, Device device) {
      super(device);
      ModuleListImpl list = list("resnets");
      for (int i = 0; i < layers; i++) {
        ResnetBlock2D r = own(new ResnetBlock2D(i == 0 ? in : out, out, groups, device));
        list.push_back(r);
        resnets.add(r);
      }
      if (addDownsample) {
        ModuleListImpl ds = list("downsamplers");
        Container d = own(new Container(device));
        downsample = d.add("conv", new Conv2d(out, out, 3, 2, 0, device));
        ds.push_back(d);
      } else {
        downsample = null;
      }
    }

    /** {@code x [N, in, H, W]} → {@code [N, out, H/2, W/2]} (or {@code H, W} on the last level). */
    Tensor forward(Tensor x) {
      Tensor h = x;
      for (ResnetBlock2D r : resnets) {
        h = r.forward(h);
      }
      if (downsample != null) {
        h = downsample.forward(torch.pad(h, 0, 1, 0, 1)); // (N, out, H/2, W/2)
      }
      return h;
    }
  }

  /**
   * {@code UpDecoderBlock2D}: {@code resnets.i}, then optionally {@code upsamplers.0.conv}, nearest
   * 2× upsampling followed by a 3×3 conv.
   */
  static final class Up extends Layer {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Conv2d upsample;

    Up(long in, long out, int layers, boolean addUpsample, long groups, Device device) {
      super(device);
      ModuleListImpl list = list("resnets");
      for (int i = 0; i < layers; i++) {
        ResnetBlock2D r = own(new ResnetBlock2D(i == 0 ? in : out, out, groups, device));
        list.push_back(r);
        resnets.add(r);
      }
      if (addUpsample) {
        ModuleListImpl us = list("upsamplers");
        Container u = own(new Container(device));
        upsample = u.add("conv", new Conv2d(out, out, 3, 1, 1, device));
        us.push_back(u);
      } else {
        upsample = null;
      }
    }

    /** {@code x [N, in, H, W]} → {@code [N, out, 2H, 2W]} (or {@code H, W} on the last level). */
    Tensor forward(Tensor x) {
      Tensor h = x;
      for (ResnetBlock2D r : resnets) {
        h = r.forward(h);
      }
      if (upsample != null) {
        long[] s = io.jsora.tensor.Shapes.of(h);
        h = upsample.forward(torch.upsample_nearest2d(h, s[2] * 2, s[3] * 2)); // (N, out, 2H, 2W)
      }
      return h;
    }
  }

  /** {@code UNetMidBlock2D}: {@code resnets.0}, {@code attentions.0}, {@code resnets.1}. */
  static final class Mid extends Layer {
    private final ResnetBlock2D first;
    private final VaeAttention attention;
    private final ResnetBlock2D second;

    Mid(long channels, long groups, boolean addAttention, Device device) {
      super(device);
      ModuleListImpl res = list("resnets");
      first = own(new ResnetBlock2D(channels, channels, groups, device));
      res.push_back(first);
      if (addAttention) {
        ModuleListImpl att = list("attentions");
        attention = own(new VaeAttention(channels, groups, device));
        att.push_back(attention);
      } else {
        attention = null;
      }
      second = own(new ResnetBlock2D(channels, channels, groups, device));
      res.push_back(second);
    }

    /** {@code x [N, C, H, W]} → same shape. */
    Tensor forward(Tensor x) {
      Tensor h = first.forward(x);
      if (attention != null) {
        h = attention.forward(h);
      }
      return second.forward(h);
    }
  }
}
