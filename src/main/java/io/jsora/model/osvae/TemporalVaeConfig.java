package io.jsora.model.osvae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The pipeline's {@code vae_temporal} entry: upstream's causal temporal VAE ({@code VAE_Temporal}),
 * or its released factory {@code VAE_Temporal_SD}, which fixes every size (4 channels in and out, 4
 * latent channels, 128 filters, 4 res blocks per level, multipliers 1, 2, 2, 4, time downsampling
 * False, True, True) and leaves only {@code num_groups} and {@code activation_fn} open, as its
 * keyword arguments do.
 *
 * @param type which registered builder the entry names
 * @param fromPretrained {@code VAE_Temporal_SD} only: upstream loads a separate temporal checkpoint
 *     from here; jsora reads the pipeline's single file, which holds these weights too, so this is
 *     kept but not used
 * @param inOutChannels channels of the spatial latent the temporal VAE compresses (4)
 * @param latentEmbedDim channels of the encoder's Gaussian before {@code quant_conv} (half its
 *     output) and of the decoder's input
 * @param embedDim channels of the latent the pipeline returns (after {@code quant_conv})
 * @param filters channels of the first level; level i has {@code filters · channel_multipliers[i]}
 * @param numResBlocks res blocks per level and in the middle stack
 * @param channelMultipliers width of each level relative to {@code filters}
 * @param temporalDownsample for each level but the last, whether it halves time (a stride-2 causal
 *     conv); the time factor is {@code 2^(number of true entries)}
 * @param numGroups group-norm groups; must divide every level's width
 * @param activationFn nonlinearity after each group norm
 */
public record TemporalVaeConfig(
    Type type,
    String fromPretrained,
    int inOutChannels,
    int latentEmbedDim,
    int embedDim,
    int filters,
    int numResBlocks,
    int[] channelMultipliers,
    boolean[] temporalDownsample,
    int numGroups,
    Activation activationFn) {

  /** The registered builders a {@code vae_temporal} entry may name. */
  public enum Type {
    VAE_TEMPORAL("VAE_Temporal"),
    VAE_TEMPORAL_SD("VAE_Temporal_SD");

    private final String json;

    Type(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }

    static Type parse(String s) {
      for (Type t : values()) {
        if (t.json.equals(s)) {
          return t;
        }
      }
      throw new IllegalArgumentException(
          "vae_temporal.type '" + s + "' is not one of VAE_Temporal_SD, VAE_Temporal");
    }
  }

  public TemporalVaeConfig {
    check(type != null, "vae_temporal.type is required");
    check(activationFn != null, "vae_temporal.activation_fn is required");
    check(
        channelMultipliers != null && channelMultipliers.length >= 1,
        "vae_temporal.channel_multipliers must list at least one level");
    check(
        temporalDownsample != null && temporalDownsample.length == channelMultipliers.length - 1,
        "vae_temporal.temporal_downsample has "
            + (temporalDownsample == null ? 0 : temporalDownsample.length)
            + " entries, expected one per level but the last ("
            + (channelMultipliers.length - 1)
            + ")");
    check(
        inOutChannels >= 1
            && latentEmbedDim >= 1
            && embedDim >= 1
            && filters >= 1
            && numResBlocks >= 1
            && numGroups >= 1,
        "vae_temporal: in_out_channels "
            + inOutChannels
            + ", latent_embed_dim "
            + latentEmbedDim
            + ", embed_dim "
            + embedDim
            + ", filters "
            + filters
            + ", num_res_blocks "
            + numResBlocks
            + ", num_groups "
            + numGroups
            + " must all be >= 1");
    channelMultipliers = channelMultipliers.clone();
    temporalDownsample = temporalDownsample.clone();
    for (int m : channelMultipliers) {
      check(
          m >= 1 && (filters * m) % numGroups == 0,
          "vae_temporal: level width filters "
              + filters
              + " x multiplier "
              + m
              + " is not a positive multiple of num_groups "
              + numGroups);
    }
  }

  /** {@code VAE_Temporal_SD}, the released temporal VAE (309,687,144 parameters). */
  public static TemporalVaeConfig sd() {
    return sd(32, Activation.SWISH);
  }

  private static TemporalVaeConfig sd(int numGroups, Activation act) {
    return new TemporalVaeConfig(
        Type.VAE_TEMPORAL_SD,
        null,
        4,
        4,
        4,
        128,
        4,
        new int[] {1, 2, 2, 4},
        new boolean[] {false, true, true},
        numGroups,
        act);
  }

  @JsonCreator
  static TemporalVaeConfig fromJson(
      @JsonProperty("type") String type,
      @JsonProperty("from_pretrained") String fromPretrained,
      @JsonProperty("in_out_channels") Integer inOutChannels,
      @JsonProperty("latent_embed_dim") Integer latentEmbedDim,
      @JsonProperty("embed_dim") Integer embedDim,
      @JsonProperty("filters") Integer filters,
      @JsonProperty("num_res_blocks") Integer numResBlocks,
      @JsonProperty("channel_multipliers") int[] channelMultipliers,
      @JsonProperty("temporal_downsample") boolean[] temporalDownsample,
      @JsonProperty("num_groups") Integer numGroups,
      @JsonProperty("activation_fn") Activation activationFn) {
    Type t = Type.parse(type);
    int groups = numGroups == null ? 32 : numGroups;
    Activation act = activationFn == null ? Activation.SWISH : activationFn;
    if (t == Type.VAE_TEMPORAL_SD) {
      List<String> fixed = new ArrayList<>();
      String[] names = {
        "in_out_channels",
        "latent_embed_dim",
        "embed_dim",
        "filters",
        "num_res_blocks",
        "channel_multipliers",
        "temporal_downsample"
      };
      Object[] given = {
        inOutChannels,
        latentEmbedDim,
        embedDim,
        filters,
        numResBlocks,
        channelMultipliers,
        temporalDownsample
      };
      for (int i = 0; i < names.length; i++) {
        if (given[i] != null) {
          fixed.add(names[i]);
        }
      }
      check(
          fixed.isEmpty(),
          "vae_temporal: VAE_Temporal_SD fixes "
              + String.join(", ", fixed)
              + "; give type VAE_Temporal to choose them");
      TemporalVaeConfig sd = sd(groups, act);
      return new TemporalVaeConfig(
          t,
          fromPretrained,
          sd.inOutChannels,
          sd.latentEmbedDim,
          sd.embedDim,
          sd.filters,
          sd.numResBlocks,
          sd.channelMultipliers,
          sd.temporalDownsample,
          groups,
          act);
    }
    check(
        fromPretrained == null,
        "vae_temporal: VAE_Temporal takes no from_pretrained (only VAE_Temporal_SD does)");
    // VAE_Temporal's own defaults
    return new TemporalVaeConfig(
        t,
        fromPretrained,
        or(inOutChannels, 4),
        or(latentEmbedDim, 4),
        or(embedDim, 4),
        or(filters, 128),
        or(numResBlocks, 4),
        channelMultipliers == null ? new int[] {1, 2, 2, 4} : channelMultipliers,
        temporalDownsample == null ? new boolean[] {true, true, false} : temporalDownsample,
        groups,
        act);
  }

  @Override
  public int[] channelMultipliers() {
    return channelMultipliers.clone();
  }

  @Override
  public boolean[] temporalDownsample() {
    return temporalDownsample.clone();
  }

  /** Time compression, {@code 2^(true entries of temporal_downsample)}. */
  public int timeFactor() {
    int n = 0;
    for (boolean b : temporalDownsample) {
      n += b ? 1 : 0;
    }
    return 1 << n;
  }

  /** Width of level {@code i}. */
  public int width(int i) {
    return filters * channelMultipliers[i];
  }

  /** Number of levels. */
  public int levels() {
    return channelMultipliers.length;
  }

  /**
   * Latent frames for {@code frames} input frames: the clip is padded at the front to a multiple of
   * the time factor, then divided by it.
   */
  public long latentFrames(long frames) {
    int f = timeFactor();
    return (frames + frontPadding(frames)) / f;
  }

  /** Zero frames put in front of a clip of {@code frames} frames (and cropped after decoding). */
  public long frontPadding(long frames) {
    int f = timeFactor();
    return frames % f == 0 ? 0 : f - frames % f;
  }

  /** The entry as upstream's config carries it. */
  void writeTo(ObjectNode n) {
    n.put("type", type.json());
    if (type == Type.VAE_TEMPORAL_SD) {
      if (fromPretrained == null) {
        n.putNull("from_pretrained");
      } else {
        n.put("from_pretrained", fromPretrained);
      }
    }
    if (type == Type.VAE_TEMPORAL) {
      n.put("in_out_channels", inOutChannels);
      n.put("latent_embed_dim", latentEmbedDim);
      n.put("embed_dim", embedDim);
      n.put("filters", filters);
      n.put("num_res_blocks", numResBlocks);
      ArrayNode m = n.putArray("channel_multipliers");
      Arrays.stream(channelMultipliers).forEach(m::add);
      ArrayNode d = n.putArray("temporal_downsample");
      for (boolean b : temporalDownsample) {
        d.add(b);
      }
    }
    if (type == Type.VAE_TEMPORAL || numGroups != 32) {
      n.put("num_groups", numGroups);
    }
    if (type == Type.VAE_TEMPORAL || activationFn != Activation.SWISH) {
      n.put("activation_fn", activationFn.json());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemporalVaeConfig c
        && c.type == type
        && java.util.Objects.equals(c.fromPretrained, fromPretrained)
        && c.inOutChannels == inOutChannels
        && c.latentEmbedDim == latentEmbedDim
        && c.embedDim == embedDim
        && c.filters == filters
        && c.numResBlocks == numResBlocks
        && Arrays.equals(c.channelMultipliers, channelMultipliers)
        && Arrays.equals(c.temporalDownsample, temporalDownsample)
        && c.numGroups == numGroups
        && c.activationFn == activationFn;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        type,
        fromPretrained,
        inOutChannels,
        latentEmbedDim,
        embedDim,
        filters,
        numResBlocks,
        Arrays.hashCode(channelMultipliers),
        Arrays.hashCode(temporalDownsample),
        numGroups,
        activationFn);
  }

  @Override
  public String toString() {
    return "TemporalVaeConfig["
        + type.json()
        + ", filters="
        + filters
        + ", num_res_blocks="
        + numResBlocks
        + ", channel_multipliers="
        + Arrays.toString(channelMultipliers)
        + ", temporal_downsample="
        + Arrays.toString(temporalDownsample)
        + ", num_groups="
        + numGroups
        + ", latent="
        + embedDim
        + "]";
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static int or(Integer v, int fallback) {
    return v == null ? fallback : v;
  }
}
