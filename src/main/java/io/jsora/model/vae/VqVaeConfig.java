package io.jsora.model.vae;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.HfConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The VideoGPT VQ-VAE's shape, under the keys of its {@code config.json}.
 *
 * @param embeddingDim {@code embedding_dim}: width of each codebook vector, and the latent's
 *     channels (256 for {@code hpcai-tech/vqvae})
 * @param nCodes {@code n_codes}: codebook size (2048)
 * @param nHiddens {@code n_hiddens}: channels inside encoder and decoder (240); even, because the
 *     residual blocks halve it and the axial attention splits it over 2 heads
 * @param nResLayers {@code n_res_layers}: residual blocks in each of encoder and decoder (4)
 * @param downsample {@code downsample}: (time, height, width) factors, powers of two (2, 4, 4)
 */
public record VqVaeConfig(
    int embeddingDim, int nCodes, int nHiddens, int nResLayers, int[] downsample) {
  public VqVaeConfig {
    if (embeddingDim < 1 || nCodes < 1 || nHiddens < 1 || nResLayers < 0) {
      throw new IllegalArgumentException(
          "embedding_dim "
              + embeddingDim
              + ", n_codes "
              + nCodes
              + ", n_hiddens "
              + nHiddens
              + " must be positive and n_res_layers "
              + nResLayers
              + " non-negative");
    }
    if (nHiddens % 2 != 0) {
      throw new IllegalArgumentException(
          "n_hiddens "
              + nHiddens
              + " must be even (residual blocks halve it; attention uses 2 heads)");
    }
    if (downsample == null || downsample.length != 3) {
      throw new IllegalArgumentException(
          "downsample must hold 3 factors (time, height, width), found "
              + Arrays.toString(downsample));
    }
    downsample = downsample.clone();
    int max = 0;
    for (int d : downsample) {
      if (d < 1 || Integer.bitCount(d) != 1) {
        throw new IllegalArgumentException(
            "downsample " + Arrays.toString(downsample) + ": each factor must be a power of two");
      }
      max = Math.max(max, d);
    }
    if (max < 4) {
      throw new IllegalArgumentException(
          "downsample "
              + Arrays.toString(downsample)
              + ": VideoGPT's encoder needs a largest factor of at least 4 (its last conv expects n_hiddens channels after two strided convs)");
    }
  }

  /**
   * {@code hpcai-tech/vqvae}, the VQ-VAE the reference used: 2048 codes of 256, 240 hiddens, 4
   * residual layers, 2×4×4.
   */
  public static VqVaeConfig hpcaiTech() {
    return new VqVaeConfig(256, 2048, 240, 4, new int[] {2, 4, 4});
  }

  /**
   * A CPU-sized VQ-VAE for demos and quick training: 512 codes of 64, 64 hiddens, 2 residual
   * layers, 2×4×4 (1.1 M parameters against 21 M).
   */
  public static VqVaeConfig small() {
    return new VqVaeConfig(64, 512, 64, 2, new int[] {2, 4, 4});
  }

  @Override
  public int[] downsample() {
    return downsample.clone();
  }

  /** log2 of each factor: the strided convs each axis takes part in. */
  int[] log2Downsample() {
    int[] out = new int[3];
    for (int i = 0; i < 3; i++) {
      out[i] = Integer.numberOfTrailingZeros(downsample[i]);
    }
    return out;
  }

  /**
   * Reads {@code embedding_dim}, {@code n_codes}, {@code n_hiddens}, {@code n_res_layers}, {@code
   * downsample} (all required).
   */
  public static VqVaeConfig read(Path configJson) throws IOException {
    HfConfig j = HfConfig.read(configJson);
    try {
      return new VqVaeConfig(
          j.intValue("embedding_dim", null),
          j.intValue("n_codes", null),
          j.intValue("n_hiddens", null),
          j.intValue("n_res_layers", null),
          j.intArray("downsample", null));
    } catch (IllegalArgumentException e) {
      throw j.invalid(e);
    }
  }

  /** The {@code config.json} text for this config. */
  public String toJson() {
    ObjectNode n = HfConfig.newObject();
    n.putArray("architectures").add("VQVAE");
    n.put("model_type", "vqvae");
    n.put("embedding_dim", embeddingDim);
    n.put("n_codes", nCodes);
    n.put("n_hiddens", nHiddens);
    n.put("n_res_layers", nResLayers);
    ArrayNode ds = n.putArray("downsample");
    for (int d : downsample) {
      ds.add(d);
    }
    return HfConfig.pretty(n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VqVaeConfig c
        && c.embeddingDim == embeddingDim
        && c.nCodes == nCodes
        && c.nHiddens == nHiddens
        && c.nResLayers == nResLayers
        && Arrays.equals(c.downsample, downsample);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(
        new int[] {embeddingDim, nCodes, nHiddens, nResLayers, Arrays.hashCode(downsample)});
  }

  @Override
  public String toString() {
    return "VqVaeConfig[embedding_dim="
        + embeddingDim
        + ", n_codes="
        + nCodes
        + ", n_hiddens="
        + nHiddens
        + ", n_res_layers="
        + nResLayers
        + ", downsample="
        + Arrays.toString(downsample)
        + "]";
  }
}
