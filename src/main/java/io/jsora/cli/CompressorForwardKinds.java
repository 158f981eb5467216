package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.model.vae.AutoencoderKL;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.SdVaeCompressor;
import io.jsora.model.vae.VqVae;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code jsora model forward} for the video compressors. Inputs go to the network exactly as given
 * (no pixel rescaling, no latent scaling), so outputs compare one to one with the PyTorch modules:
 * VideoGPT's {@code VQVAE} and diffusers' {@code AutoencoderKL} applied to each frame.
 */
final class CompressorForwardKinds {
  private CompressorForwardKinds() {}

  /** Frames per SD-VAE call in these commands. */
  private static final int MICRO_BATCH = 8;

  static Tensor input(StateDict inputs, String name, String kind) {
    Tensor t = inputs.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          kind
              + ": --inputs has no tensor '"
              + name
              + "' (found: "
              + (inputs.names().isEmpty() ? "none" : String.join(", ", inputs.names()))
              + ")");
    }
    return t.to(torch.ScalarType.Float);
  }

  static Path config(Path config, String kind) {
    if (config == null) {
      throw new IllegalArgumentException(
          kind + " needs --config CONFIG.json (the model's Hugging Face config)");
    }
    return config;
  }

  /**
   * {@code vqvae-encode}: {@code video [B,3,T,H,W]} → {@code embeddings [B,D,T',H',W']}, {@code
   * indices [B,T',H',W']}.
   */
  static final class VqVaeEncode implements ModelForwardKind {
    @Override
    public String kind() {
      return "vqvae-encode";
    }

    @Override
    public String summary() {
      return "VideoGPT VQ-VAE encoder + codebook: video [B,3,T,H,W] -> embeddings [B,D,T/2,H/4,W/4], indices [B,T/2,H/4,W/4]";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      VqVae m = Compressors.loadVqVae(config(config, kind()), weights, device);
      try (m;
          NoGradGuard g = new NoGradGuard()) {
        Tensor video = input(inputs, "video", kind()).to(device, torch.ScalarType.Float);
        m.checkVideo(video, "video");
        VqVae.Encoded e = m.encode(video);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("embeddings", e.embeddings().detach());
        out.put("indices", e.indices());
        return out;
      }
    }
  }

  /** {@code vqvae-decode}: {@code embeddings [B,D,T',H',W']} → {@code video [B,3,T,H,W]}. */
  static final class VqVaeDecode implements ModelForwardKind {
    @Override
    public String kind() {
      return "vqvae-decode";
    }

    @Override
    public String summary() {
      return "VideoGPT VQ-VAE decoder: embeddings [B,D,T',H',W'] -> video [B,3,2T',4H',4W']";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      VqVae m = Compressors.loadVqVae(config(config, kind()), weights, device);
      try (m;
          NoGradGuard g = new NoGradGuard()) {
        Tensor emb = input(inputs, "embeddings", kind()).to(device, torch.ScalarType.Float);
        Shapes.check(emb, "embeddings", -1, m.config().embeddingDim(), -1, -1, -1);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("video", m.decode(emb));
        return out;
      }
    }
  }

  /**
   * {@code vae-encode}: {@code video [B,3,T,H,W]} → unscaled posterior {@code mean}, {@code logvar}
   * {@code [B,L,T,H/f,W/f]}.
   */
  static final class VaeEncode implements ModelForwardKind {
    @Override
    public String kind() {
      return "vae-encode";
    }

    @Override
    public String summary() {
      return "SD VAE encoder per frame: video [B,3,T,H,W] (as given) -> mean, logvar [B,4,T,H/8,W/8] (unscaled posterior)";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      AutoencoderKL m = Compressors.loadSdVae(config(config, kind()), weights, device);
      try (m;
          NoGradGuard g = new NoGradGuard()) {
        Tensor video = input(inputs, "video", kind()).to(device, torch.ScalarType.Float);
        Shapes.check(video, "video", -1, m.config().inChannels(), -1, -1, -1);
        AutoencoderKL.Posterior p = SdVaeCompressor.posterior(m, video, MICRO_BATCH);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("mean", p.mean());
        out.put("logvar", p.logvar());
        return out;
      }
    }
  }

  /**
   * {@code vae-decode}: unscaled {@code latent [B,L,T,h,w]} → {@code video [B,3,T,H,W]} as the
   * decoder outputs it.
   */
  static final class VaeDecode implements ModelForwardKind {
    @Override
    public String kind() {
      return "vae-decode";
    }

    @Override
    public String summary() {
      return "SD VAE decoder per frame: latent [B,4,T,h,w] (unscaled) -> video [B,3,T,8h,8w] (as the decoder outputs it)";
    }

    @Override
    public Map<String, Tensor> forward(
        Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
        throws IOException {
      AutoencoderKL m = Compressors.loadSdVae(config(config, kind()), weights, device);
      try (m;
          NoGradGuard g = new NoGradGuard()) {
        Tensor latent = input(inputs, "latent", kind()).to(device, torch.ScalarType.Float);
        Shapes.check(latent, "latent", -1, m.config().latentChannels(), -1, -1, -1);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("video", SdVaeCompressor.decodeFrames(m, latent, MICRO_BATCH));
        return out;
      }
    }
  }
}
