package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.model.osvae.OpenSoraVae;
import io.jsora.model.osvae.OsVaeFiles;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code jsora model forward osvae-encode|osvae-decode}: Open-Sora 1.2's {@code
 * VideoAutoencoderPipeline} from its {@code config.json} and single weights file, tensors as the
 * upstream module takes and returns them: video in [-1, 1], the latent normalised by shift and
 * scale. Encoding takes every posterior's mean.
 */
final class OsVaeForwardKinds {
  private OsVaeForwardKinds() {}

  static OpenSoraVae load(Path config, Path weights, Device device, String kind)
      throws IOException {
    return OsVaeFiles.load(CompressorForwardKinds.config(config, kind), weights, device);
  }

  static void onlyInputs(StateDict inputs, Set<String> allowed, String kind) {
    for (String name : inputs.names()) {
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            kind + ": unexpected input '" + name + "'; it takes " + String.join(", ", allowed));
      }
    }
  }

  /**
   * {@code osvae-encode}: {@code video [B,3,T,H,W]} → {@code latent [B,4,T',H/8,W/8]} (posterior
   * means).
   */
  static final class Encode implements ModelForwardKind {
    @Override
    public String kind() {
      return "osvae-encode";
    }

    @Override
    public String summary() {
      return "Open-Sora 1.2 VAE encoder: video [B,3,T,H,W] in [-1,1] -> latent [B,4,T',H/8,W/8] (posterior means, (z - shift) / scale)";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      onlyInputs(inputs, Set.of("video"), kind());
      Tensor video = CompressorForwardKinds.input(inputs, "video", kind());
      try (OpenSoraVae m = load(config, weights, device, kind());
          NoGradGuard g = new NoGradGuard()) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("latent", m.encode(video).to(ScalarType.Float).cpu().contiguous());
        return out;
      }
    }
  }

  /**
   * {@code osvae-decode}: {@code latent [B,4,T',h,w]} and {@code num_frames [1]} → {@code video
   * [B,3,num_frames,8h,8w]}.
   */
  static final class Decode implements ModelForwardKind {
    @Override
    public String kind() {
      return "osvae-decode";
    }

    @Override
    public String summary() {
      return "Open-Sora 1.2 VAE decoder: latent [B,4,T',h,w] and num_frames [1] -> video [B,3,num_frames,8h,8w]";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      onlyInputs(inputs, Set.of("latent", "num_frames"), kind());
      Tensor latent = CompressorForwardKinds.input(inputs, "latent", kind());
      Tensor n = inputs.get("num_frames");
      if (n == null) {
        throw new IllegalArgumentException(
            kind() + ": --inputs has no tensor 'num_frames' ([1], the frame count to decode to)");
      }
      if (Shapes.numel(Shapes.of(n)) != 1) {
        throw new IllegalArgumentException(
            kind()
                + ": num_frames must hold one value, found shape "
                + Shapes.format(Shapes.of(n)));
      }
      long frames = Tensors.toLongs(n.to(ScalarType.Long))[0];
      try (OpenSoraVae m = load(config, weights, device, kind());
          NoGradGuard g = new NoGradGuard()) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("video", m.decode(latent, frames).to(ScalarType.Float).cpu().contiguous());
        return out;
      }
    }
  }
}
