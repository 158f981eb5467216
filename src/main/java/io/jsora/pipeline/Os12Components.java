package io.jsora.pipeline;

import io.jsora.model.osvae.OsVaeCompressor;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.text.TextEncoder;
import java.io.IOException;

/**
 * The three parts of an Open-Sora 1.2 model, each built only when a stage needs it so that the
 * pipeline can hold one at a time: the T5 text encoder, the STDiT3 denoiser and the VAE. {@link
 * Os12Files} loads them from the released files; tests and benchmarks may build them otherwise
 * (seeded weights). Every {@code load*} returns a fresh instance the caller closes.
 */
public interface Os12Components {
  /** The denoiser's config (read without loading the weights): caption width and length. */
  STDiT3Config modelConfig();

  /** {@code [C, T', H', W']} latent of a {@code frames × height × width} video (no weights). */
  long[] latentShape(long frames, long height, long width);

  /** The VAE's spatial factor (8 for the released VAE): pixel sizes are cut to a multiple of it. */
  int spatialFactor();

  /** The dtype each stage runs in. */
  StageDtypes dtypes();

  /**
   * The text encoder, in {@link StageDtypes#text()}, truncating and padding to {@code maxLength}.
   */
  TextEncoder loadTextEncoder(int maxLength) throws IOException;

  /** The denoiser, in {@link StageDtypes#model()}, in eval mode. */
  STDiT3 loadModel() throws IOException;

  /**
   * The VAE, in {@link StageDtypes#vae()}, posteriors sampled from a generator seeded {@code seed}.
   */
  OsVaeCompressor loadVae(long seed) throws IOException;

  /**
   * The dtype of each stage.
   *
   * @param text T5 (upstream runs it in fp32, 19 GB for T5-XXL; bf16 halves that)
   * @param model STDiT3 (upstream: bf16)
   * @param vae the VAE (upstream: bf16)
   */
  record StageDtypes(StageDtype text, StageDtype model, StageDtype vae) {
    public StageDtypes {
      if (text == null || model == null || vae == null) {
        throw new IllegalArgumentException(
            "stage dtypes: text, model and vae are all required, got "
                + text
                + ", "
                + model
                + ", "
                + vae);
      }
    }
  }
}
