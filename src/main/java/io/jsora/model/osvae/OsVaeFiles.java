package io.jsora.model.osvae;

import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.model.vae.AutoencoderKL;
import io.jsora.model.vae.SdVaeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Device;

/**
 * Loads the 1.2 VAE from its files: the pipeline {@code config.json} and the single weights file
 * ({@code model.safetensors} or a {@code torch.save} {@code pytorch_model.bin}) holding every key,
 * loaded strictly.
 */
public final class OsVaeFiles {
  /** The released repository. */
  public static final String RELEASED_REPO = "hpcai-tech/OpenSora-VAE-v1.2";

  private OsVaeFiles() {}

  /**
   * The SDXL VAE's shape ({@code PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers}, folder {@code
   * vae}): levels 128, 256, 512, 512, 2 resnets per encoder level, 4 latent channels, 32 groups,
   * {@code scaling_factor} 0.13025 (which the pipeline does not use). The same network as SD's VAE;
   * only the weights differ.
   */
  public static SdVaeConfig sdxlVae() {
    return new SdVaeConfig(
        3, 3, new int[] {128, 256, 512, 512}, 2, 4, 32, 1024, 0.13025, null, true, true, true);
  }

  /**
   * The shape of the 2D VAE that {@code vae_2d} names: {@code from_pretrained} (joined with {@code
   * subfolder}) as a directory holding a diffusers {@code config.json} (relative to {@code
   * baseDir}, the pipeline config's directory, or as given); else, for the released id, {@link
   * #sdxlVae()} (its weights come from the pipeline file, so nothing needs downloading); else the
   * id in the local Hugging Face cache.
   *
   * @throws NoSuchFileException naming the id and file it needs
   */
  public static SdVaeConfig spatialConfig(SpatialVaeConfig c, Path baseDir, HubCache dirs)
      throws IOException {
    Path given = Path.of(c.fromPretrained());
    Path dir = given.isAbsolute() || baseDir == null ? given : baseDir.resolve(given);
    if (!Files.isDirectory(dir) && Files.isDirectory(given)) {
      dir = given;
    }
    if (Files.isDirectory(dir)) {
      return SdVaeConfig.read(sub(dir, c).resolve("config.json"));
    }
    if (c.fromPretrained().equals(SpatialVaeConfig.PIXART_SDXL_VAE)) {
      return sdxlVae();
    }
    Path cached =
        dirs.resolve(
            c.fromPretrained(),
            "vae_2d ("
                + c.fromPretrained()
                + ", file "
                + (c.subfolder() == null ? "" : c.subfolder() + "/")
                + "config.json)");
    return SdVaeConfig.read(sub(cached, c).resolve("config.json"));
  }

  private static Path sub(Path dir, SpatialVaeConfig c) {
    return c.subfolder() == null || c.subfolder().isEmpty() ? dir : dir.resolve(c.subfolder());
  }

  /** {@link #load(Path, Path, Device, HubCache)} with the environment's Hugging Face cache. */
  public static OpenSoraVae load(Path configJson, Path weights, Device device) throws IOException {
    return load(configJson, weights, device, HubCache.NONE);
  }

  /**
   * The pipeline from its {@code config.json} and weights file, on {@code device}, in eval mode;
   * the caller owns it. Attention keys in diffusers' pre-0.14 names are renamed as diffusers does.
   *
   * @throws io.jsora.checkpoint.StateDictMismatchException listing every missing, unexpected and
   *     mis-shaped key
   */
  public static OpenSoraVae load(Path configJson, Path weights, Device device, HubCache dirs)
      throws IOException {
    OsVaeConfig config = OsVaeConfig.read(configJson);
    Path base = configJson.toAbsolutePath().getParent();
    SdVaeConfig spatial = spatialConfig(config.vae2d(), base, dirs);
    OpenSoraVae m = new OpenSoraVae(config, spatial, device);
    try (Weights.Loaded w = Weights.read(weights)) {
      StateDict sd = w.tensors();
      AutoencoderKL.renameLegacyKeys(sd);
      StrictLoader.load(m, sd, weights.toString());
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
    m.eval();
    return m;
  }

  /**
   * The pipeline from a model directory or a cached Hugging Face id (default {@value
   * #RELEASED_REPO}): {@code config.json} plus {@code model.safetensors} or {@code
   * pytorch_model.bin}.
   */
  public static OpenSoraVae loadDir(String dirOrId, Device device, HubCache dirs)
      throws IOException {
    Path dir = dirs.resolve(dirOrId == null ? RELEASED_REPO : dirOrId, "Open-Sora VAE");
    for (String name : new String[] {"model.safetensors", "pytorch_model.bin"}) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return load(dir.resolve("config.json"), dir.resolve(name), device, dirs);
      }
    }
    throw new NoSuchFileException(
        dir.toString(),
        null,
        "Open-Sora VAE: no model.safetensors or pytorch_model.bin (the "
            + RELEASED_REPO
            + " weights file)");
  }
}
