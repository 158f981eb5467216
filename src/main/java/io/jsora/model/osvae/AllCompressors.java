package io.jsora.model.osvae;

import io.jsora.checkpoint.HubCache;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.CompressorOptions;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.pytorch.Device;

/**
 * Every compressor by kind: {@link Compressors}' (raw, vqvae, vae) and the Open-Sora 1.2 VAE
 * ({@code osvae}), which {@code io.jsora.model.vae} cannot build because this package depends on
 * it. Commands, training and sampling load compressors here.
 */
public final class AllCompressors {
  private AllCompressors() {}

  /**
   * Loads compressor {@code kind} onto {@code device} (the caller keeps {@code device}); the caller
   * owns and closes the result.
   *
   * @param dirOrNull a model directory or a Hugging Face id in the local cache; null takes the
   *     kind's default ({@code hpcai-tech/OpenSora-VAE-v1.2} for osvae); ignored for {@code raw}
   * @param options for osvae only {@link CompressorOptions#seed()} counts: it seeds the posterior
   *     sampling
   * @throws IOException when the model cannot be found or its files do not match
   */
  public static VideoCompressor load(
      CompressorKind kind, Path dirOrNull, Device device, CompressorOptions options, HubCache hub)
      throws IOException {
    if (kind != CompressorKind.OSVAE) {
      return Compressors.load(kind, dirOrNull, device, options, hub);
    }
    OpenSoraVae vae =
        OsVaeFiles.loadDir(dirOrNull == null ? null : dirOrNull.toString(), device, hub);
    try {
      return new OsVaeCompressor(vae, options.seed());
    } catch (RuntimeException e) {
      vae.close();
      throw e;
    }
  }

  /** {@link #load(CompressorKind, Path, Device, CompressorOptions, HubCache)} by name. */
  public static VideoCompressor load(
      String name, Path dirOrNull, Device device, CompressorOptions options, HubCache hub)
      throws IOException {
    return load(CompressorKind.parse(name), dirOrNull, device, options, hub);
  }
}
