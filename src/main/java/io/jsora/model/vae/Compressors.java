package io.jsora.model.vae;

import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds compressors by name: {@code raw}, {@code vqvae} (VideoGPT VQ-VAE, default {@code
 * hpcai-tech/vqvae}) or {@code vae} (SD VAE, default {@code stabilityai/sd-vae-ft-mse}), from a
 * Hugging Face-style directory ({@code config.json} plus {@code model.safetensors}, {@code
 * pytorch_model.bin}, {@code diffusion_pytorch_model.safetensors} or {@code .bin}) or a Hugging
 * Face id already in the local cache.
 */
public final class Compressors {
  private static final Logger log = LoggerFactory.getLogger(Compressors.class);

  /** The model each learnt compressor loads when no directory is given. */
  public static final String DEFAULT_VQVAE = "hpcai-tech/vqvae";

  public static final String DEFAULT_VAE = "stabilityai/sd-vae-ft-mse";

  /**
   * The names {@link #load} accepts ({@code osvae} is loaded by the {@code model.osvae} package).
   */
  public static final List<String> NAMES = List.of("raw", "vqvae", "vae");

  private Compressors() {}

  /** {@link #load(String, Path, Device, CompressorOptions)} with default options. */
  public static VideoCompressor load(String name, Path dirOrNull, Device device)
      throws IOException {
    return load(name, dirOrNull, device, CompressorOptions.defaults());
  }

  /**
   * Loads compressor {@code name} onto {@code device} (the caller keeps ownership of {@code
   * device}); the caller owns and closes the result.
   *
   * @param dirOrNull a model directory or a Hugging Face id in the local cache; null takes the
   *     default model; ignored for {@code raw}
   * @throws IllegalArgumentException for an unknown name
   * @throws IOException when the model cannot be found or its files do not match
   */
  public static VideoCompressor load(
      String name, Path dirOrNull, Device device, CompressorOptions options) throws IOException {
    return load(name, dirOrNull, device, options, HubCache.NONE);
  }

  /**
   * As {@link #load(String, Path, Device, CompressorOptions)}, looking for cached models in {@code
   * hub}.
   */
  public static VideoCompressor load(
      String name, Path dirOrNull, Device device, CompressorOptions options, HubCache hub)
      throws IOException {
    return load(CompressorKind.parse(name), dirOrNull, device, options, hub);
  }

  /**
   * {@link #load(CompressorKind, Path, Device, CompressorOptions, HubCache)} with default options
   * and this process's hub cache.
   */
  public static VideoCompressor load(CompressorKind kind, Path dirOrNull, Device device)
      throws IOException {
    return load(kind, dirOrNull, device, CompressorOptions.defaults(), HubCache.NONE);
  }

  /**
   * Loads compressor {@code kind} onto {@code device} (the caller keeps ownership of {@code
   * device}); the caller owns and closes the result.
   *
   * @param dirOrNull a model directory or a Hugging Face id in the local cache; null takes the
   *     default model; ignored for {@code raw}
   * @throws IOException when the model cannot be found or its files do not match
   */
  public static VideoCompressor load(
      CompressorKind kind, Path dirOrNull, Device device, CompressorOptions options, HubCache hub)
      throws IOException {
    switch (kind) {
      case RAW:
        return new RawCompressor(device);
      case VQVAE:
        return new VqVaeCompressor(
            loadVqVae(
                hub.resolve(dirOrNull == null ? DEFAULT_VQVAE : dirOrNull.toString(), "vqvae"),
                device));
      case VAE:
        {
          Path dir = hub.resolve(dirOrNull == null ? DEFAULT_VAE : dirOrNull.toString(), "vae");
          return new SdVaeCompressor(
              loadSdVae(
                  dir.resolve("config.json"),
                  HubCache.firstFile(
                      dir,
                      "vae",
                      List.of(
                          "diffusion_pytorch_model.safetensors",
                          "diffusion_pytorch_model.bin",
                          "model.safetensors",
                          "pytorch_model.bin")),
                  device),
              options);
        }
      case OSVAE:
        throw new IllegalArgumentException(
            "compressor osvae (the Open-Sora 1.2 VAE) is built by AllCompressors.load (package model.osvae),"
                + " which also builds every compressor named here");
      default:
        throw new IllegalStateException("compressor " + kind);
    }
  }

  /**
   * A VQ-VAE from a model directory ({@code config.json} and weights); see {@link #loadVqVae(Path,
   * Path, Device)}.
   */
  public static VqVae loadVqVae(Path dir, Device device) throws IOException {
    return loadVqVae(
        dir.resolve("config.json"),
        HubCache.firstFile(
            dir,
            "vqvae",
            List.of(
                "model.safetensors",
                "pytorch_model.bin",
                "diffusion_pytorch_model.safetensors",
                "diffusion_pytorch_model.bin")),
        device);
  }

  /**
   * A VQ-VAE from its {@code config.json} and weights, in eval mode, codebook kept as loaded;
   * caller owns.
   */
  public static VqVae loadVqVae(Path configJson, Path weights, Device device) throws IOException {
    VqVae m = new VqVae(VqVaeConfig.read(configJson), device);
    try {
      load(m, weights, false);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
    m.setCodebookNeedsInit(false);
    m.eval();
    return m;
  }

  /** An SD VAE from its diffusers {@code config.json} and weights, in eval mode; caller owns. */
  public static AutoencoderKL loadSdVae(Path configJson, Path weights, Device device)
      throws IOException {
    AutoencoderKL m = new AutoencoderKL(SdVaeConfig.read(configJson), device);
    try {
      load(m, weights, true);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
    m.eval();
    return m;
  }

  /**
   * Reads {@code weights} and loads them strictly into {@code model}. Also accepts files whose
   * names all carry one extra leading component (a wrapper module or a Lightning {@code
   * state_dict.}), and, for the SD VAE, pre-0.14 diffusers attention names.
   */
  static void load(Module model, Path weights, boolean legacyAttention) throws IOException {
    try (Weights.Loaded w = Weights.read(weights)) {
      StateDict sd = w.tensors();
      if (legacyAttention) {
        int renamed = AutoencoderKL.renameLegacyKeys(sd);
        if (renamed > 0) {
          log.debug(
              "{}: renamed {} attention keys from diffusers' pre-0.14 names", weights, renamed);
        }
      }
      try (StateDict stripped = stripWrapperPrefix(model, sd)) {
        StrictLoader.load(model, stripped == null ? sd : stripped, weights.toString());
      }
    }
  }

  /**
   * When no key matches the model but all share a first component that, removed, makes them match.
   */
  private static StateDict stripWrapperPrefix(Module model, StateDict sd) {
    if (sd.size() == 0) {
      return null;
    }
    try (StateDict target = StateDict.of(model)) {
      for (String k : sd.names()) {
        if (target.contains(k)) {
          return null;
        }
      }
      String first = sd.names().iterator().next();
      int dot = first.indexOf('.');
      if (dot < 0) {
        return null;
      }
      String prefix = first.substring(0, dot + 1);
      List<String> rest = new ArrayList<>();
      for (String k : sd.names()) {
        if (!k.startsWith(prefix)) {
          return null;
        }
      }
      log.debug("weights carry the prefix '{}'; stripping it", prefix);
      return sd.extractPrefix(prefix, rest);
    }
  }

  /**
   * Checks that T, H and W are multiples of the factors.
   *
   * @throws IllegalArgumentException naming the first dimension that is not
   */
  static void checkDivisible(String name, long frames, long height, long width, int[] f) {
    String[] dims = {"frames (T)", "height (H)", "width (W)"};
    long[] v = {frames, height, width};
    for (int i = 0; i < 3; i++) {
      if (v[i] < 1) {
        throw new IllegalArgumentException(
            name + ": " + dims[i] + " must be positive, got " + v[i]);
      }
      if (v[i] % f[i] != 0) {
        throw new IllegalArgumentException(
            name
                + ": "
                + dims[i]
                + " "
                + v[i]
                + " is not a multiple of "
                + f[i]
                + " (factors t,h,w = "
                + f[0]
                + ","
                + f[1]
                + ","
                + f[2]
                + "); crop or resize the video to "
                + (v[i] / f[i]) * f[i]
                + " or "
                + (v[i] / f[i] + 1) * f[i]);
      }
    }
  }

  static Device copy(Device d) {
    return new Device(d.type(), d.index());
  }
}
