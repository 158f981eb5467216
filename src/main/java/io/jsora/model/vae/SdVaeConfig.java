package io.jsora.model.vae;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.HfConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The shape of a diffusers {@code AutoencoderKL}, under the keys of its {@code config.json}. Only
 * the block types Stable Diffusion's VAE uses are supported ({@code DownEncoderBlock2D} / {@code
 * UpDecoderBlock2D}, SiLU, group norm).
 *
 * @param inChannels {@code in_channels}: image channels (3)
 * @param outChannels {@code out_channels}: decoded channels (3)
 * @param blockOutChannels {@code block_out_channels}: channels per resolution level; each level but
 *     the last halves height and width, so the spatial factor is {@code 2^(levels − 1)} (8 for SD)
 * @param layersPerBlock {@code layers_per_block}: resnets per encoder level (the decoder has one
 *     more)
 * @param latentChannels {@code latent_channels}: latent channels (4)
 * @param normNumGroups {@code norm_num_groups}: group-norm groups (32)
 * @param sampleSize {@code sample_size}: training resolution; informational
 * @param scalingFactor {@code scaling_factor}: latent scale for diffusion (0.18215 when absent)
 * @param shiftFactor {@code shift_factor}: subtracted before scaling, or null (SD 1/2 VAEs have
 *     none)
 * @param midBlockAddAttention {@code mid_block_add_attention}: attention in the middle blocks
 *     (true)
 * @param useQuantConv {@code use_quant_conv}: 1×1 conv after the encoder (true)
 * @param usePostQuantConv {@code use_post_quant_conv}: 1×1 conv before the decoder (true)
 */
public record SdVaeConfig(
    int inChannels,
    int outChannels,
    int[] blockOutChannels,
    int layersPerBlock,
    int latentChannels,
    int normNumGroups,
    int sampleSize,
    double scalingFactor,
    Double shiftFactor,
    boolean midBlockAddAttention,
    boolean useQuantConv,
    boolean usePostQuantConv) {
  public static final double DEFAULT_SCALING_FACTOR = 0.18215;

  public SdVaeConfig {
    if (blockOutChannels == null || blockOutChannels.length == 0) {
      throw new IllegalArgumentException("block_out_channels must list at least one level");
    }
    blockOutChannels = blockOutChannels.clone();
    for (int c : blockOutChannels) {
      if (c < 1 || c % normNumGroups != 0) {
        throw new IllegalArgumentException(
            "block_out_channels "
                + Arrays.toString(blockOutChannels)
                + ": each must be a positive multiple of norm_num_groups "
                + normNumGroups);
      }
    }
    if (inChannels < 1
        || outChannels < 1
        || latentChannels < 1
        || layersPerBlock < 1
        || normNumGroups < 1) {
      throw new IllegalArgumentException(
          "in_channels "
              + inChannels
              + ", out_channels "
              + outChannels
              + ", latent_channels "
              + latentChannels
              + ", layers_per_block "
              + layersPerBlock
              + ", norm_num_groups "
              + normNumGroups
              + " must be positive");
    }
    if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
      throw new IllegalArgumentException("scaling_factor must be positive, found " + scalingFactor);
    }
  }

  /**
   * {@code stabilityai/sd-vae-ft-mse} (and the SD 1.x VAE): 128, 256, 512, 512; 2 layers; 4 latent
   * channels.
   */
  public static SdVaeConfig sdVaeFtMse() {
    return new SdVaeConfig(
        3,
        3,
        new int[] {128, 256, 512, 512},
        2,
        4,
        32,
        256,
        DEFAULT_SCALING_FACTOR,
        null,
        true,
        true,
        true);
  }

  @Override
  public int[] blockOutChannels() {
    return blockOutChannels.clone();
  }

  /** Height and width reduction, {@code 2^(levels − 1)}. */
  public int spatialFactor() {
    return 1 << (blockOutChannels.length - 1);
  }

  /** Reads a diffusers {@code AutoencoderKL} config; absent keys take diffusers' defaults. */
  public static SdVaeConfig read(Path configJson) throws IOException {
    HfConfig j = HfConfig.read(configJson);
    String cls = j.stringValue("_class_name", "AutoencoderKL");
    if (!cls.equals("AutoencoderKL")) {
      throw new IOException(
          configJson + ": \"_class_name\" is " + cls + ", expected AutoencoderKL");
    }
    int[] blocks = j.intArray("block_out_channels", new int[] {64});
    checkTypes(j, "down_block_types", "DownEncoderBlock2D", blocks.length);
    checkTypes(j, "up_block_types", "UpDecoderBlock2D", blocks.length);
    String act = j.stringValue("act_fn", "silu");
    if (!act.equals("silu") && !act.equals("swish")) {
      throw new IOException(configJson + ": \"act_fn\" is " + act + ", only silu is supported");
    }
    String norm = j.stringValue("norm_type", "group");
    if (!norm.equals("group")) {
      throw new IOException(
          configJson + ": \"norm_type\" is " + norm + ", only group is supported");
    }
    try {
      return new SdVaeConfig(
          j.intValue("in_channels", 3),
          j.intValue("out_channels", 3),
          blocks,
          j.intValue("layers_per_block", 1),
          j.intValue("latent_channels", 4),
          j.intValue("norm_num_groups", 32),
          sampleSize(j),
          j.doubleValue("scaling_factor", DEFAULT_SCALING_FACTOR),
          j.optionalDouble("shift_factor"),
          j.boolValue("mid_block_add_attention", true),
          j.boolValue("use_quant_conv", true),
          j.boolValue("use_post_quant_conv", true));
    } catch (IllegalArgumentException e) {
      throw j.invalid(e);
    }
  }

  private static int sampleSize(HfConfig j) throws IOException {
    // diffusers allows an int or a [height, width] pair
    try {
      return j.intValue("sample_size", 32);
    } catch (IOException e) {
      return j.intArray("sample_size", new int[] {32})[0];
    }
  }

  private static void checkTypes(HfConfig j, String key, String expected, int levels)
      throws IOException {
    String[] types = j.stringArray(key, repeat(expected, levels));
    if (types.length != levels) {
      throw new IOException(
          j.file()
              + ": \""
              + key
              + "\" has "
              + types.length
              + " entries, block_out_channels has "
              + levels);
    }
    for (String t : types) {
      if (!t.equals(expected)) {
        throw new IOException(
            j.file() + ": \"" + key + "\" holds " + t + ", only " + expected + " is supported");
      }
    }
  }

  private static String[] repeat(String s, int n) {
    String[] out = new String[n];
    Arrays.fill(out, s);
    return out;
  }

  /** The diffusers {@code config.json} text for this config. */
  public String toJson() {
    ObjectNode n = HfConfig.newObject();
    n.put("_class_name", "AutoencoderKL");
    n.put("act_fn", "silu");
    ArrayNode b = n.putArray("block_out_channels");
    ArrayNode down = n.putArray("down_block_types");
    ArrayNode up = n.putArray("up_block_types");
    for (int c : blockOutChannels) {
      b.add(c);
      down.add("DownEncoderBlock2D");
      up.add("UpDecoderBlock2D");
    }
    n.put("in_channels", inChannels);
    n.put("out_channels", outChannels);
    n.put("latent_channels", latentChannels);
    n.put("layers_per_block", layersPerBlock);
    n.put("norm_num_groups", normNumGroups);
    n.put("sample_size", sampleSize);
    n.put("scaling_factor", scalingFactor);
    if (shiftFactor != null) {
      n.put("shift_factor", shiftFactor);
    }
    n.put("mid_block_add_attention", midBlockAddAttention);
    n.put("use_quant_conv", useQuantConv);
    n.put("use_post_quant_conv", usePostQuantConv);
    return HfConfig.pretty(n);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SdVaeConfig c && c.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "SdVaeConfig[block_out_channels="
        + Arrays.toString(blockOutChannels)
        + ", layers_per_block="
        + layersPerBlock
        + ", latent_channels="
        + latentChannels
        + ", norm_num_groups="
        + normNumGroups
        + ", scaling_factor="
        + scalingFactor
        + "]";
  }
}
