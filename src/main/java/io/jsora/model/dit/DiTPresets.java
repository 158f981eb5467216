package io.jsora.model.dit;

import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named DiT sizes: {@code DiT-S/B/L/XL} (the DiT paper's depth / width / heads) and the tiny {@code
 * DiT-T} for tests and CPU demos, each with patch size 2, 4 or 8. Names are written {@code
 * DiT-XL/2}; the reference README's spelling {@code DiT/XL-2} is accepted too.
 *
 * <p>Preset configs take 4 latent channels (the SD VAE), 512-wide text (CLIP ViT-B/32), MLP ratio
 * 4, learned sigma, {@code thw} positions and text dropout 0.1; the {@code with*} methods of {@link
 * DiTConfig} change them.
 */
public final class DiTPresets {
  private DiTPresets() {}

  /** depth, hidden, heads per size. */
  private static final Map<String, int[]> SIZES = new LinkedHashMap<>();

  static {
    SIZES.put("XL", new int[] {28, 1152, 16});
    SIZES.put("L", new int[] {24, 1024, 16});
    SIZES.put("B", new int[] {12, 768, 12});
    SIZES.put("S", new int[] {12, 384, 6});
    // tiny: 4 blocks of width 64, 4 heads of 16 (about 0.3 M parameters), trains on 2 CPU cores
    SIZES.put("T", new int[] {4, 64, 4});
  }

  private static final Pattern NAME =
      Pattern.compile("(?i)DiT(?:-(XL|L|B|S|T)/(\\d+)|/(XL|L|B|S|T)-(\\d+))");

  public static DiTConfig xl2(Arch arch) {
    return get("DiT-XL/2", arch);
  }

  public static DiTConfig t2(Arch arch) {
    return get("DiT-T/2", arch);
  }

  /** Every canonical preset name. */
  public static List<String> names() {
    List<String> out = new ArrayList<>();
    for (String s : SIZES.keySet()) {
      for (int p : new int[] {2, 4, 8}) {
        out.add("DiT-" + s + "/" + p);
      }
    }
    return out;
  }

  /** Whether {@code name} names a preset (either spelling). */
  public static boolean isPreset(String name) {
    return canonicalOrNull(name) != null;
  }

  /** {@code DiT-XL/2} for {@code DiT/XL-2} or {@code dit-xl/2}. */
  public static String canonical(String name) {
    String c = canonicalOrNull(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "unknown DiT preset '"
              + name
              + "'; expected one of "
              + String.join(", ", names())
              + " (or the DiT/XL-2 spelling)");
    }
    return c;
  }

  /**
   * The preset's config with {@code arch}.
   *
   * @throws IllegalArgumentException listing the presets when {@code name} is not one
   */
  public static DiTConfig get(String name, Arch arch) {
    String c = canonical(name);
    String size = c.substring(4, c.indexOf('/'));
    int patch = Integer.parseInt(c.substring(c.indexOf('/') + 1));
    int[] s = SIZES.get(size);
    return new DiTConfig(
        patch,
        4,
        512,
        s[1],
        s[0],
        s[2],
        4.0,
        DiTConfig.DEFAULT_MAX_NUM_EMBEDDINGS,
        0.1,
        true,
        arch,
        PosEmbed.THW,
        false,
        false);
  }

  /**
   * The preset's config with {@code arch}, its input widths taken from the inputs of a forward
   * pass: {@code in_channels} from the latent {@code [B, C, T, H, W]}, {@code text_embed_dim} from
   * the text's last dimension (states {@code [B, L, D]} or pooled {@code [B, D]}).
   *
   * @throws IllegalArgumentException when a shape has the wrong rank, or {@code name} is no preset
   */
  public static DiTConfig forInputs(String name, Arch arch, long[] latentShape, long[] textShape) {
    if (latentShape.length != 5) {
      throw new IllegalArgumentException(
          "latent x: expected [B, C, T, H, W], found " + Shapes.format(latentShape));
    }
    if (textShape.length != 2 && textShape.length != 3) {
      throw new IllegalArgumentException(
          "text: expected states [B, L, D] or pooled [B, D], found " + Shapes.format(textShape));
    }
    return get(name, arch)
        .withInChannels((int) latentShape[1])
        .withTextEmbedDim((int) textShape[textShape.length - 1]);
  }

  private static String canonicalOrNull(String name) {
    if (name == null) {
      return null;
    }
    Matcher m = NAME.matcher(name.trim());
    if (!m.matches()) {
      return null;
    }
    String size = (m.group(1) != null ? m.group(1) : m.group(3)).toUpperCase(java.util.Locale.ROOT);
    String patch = m.group(2) != null ? m.group(2) : m.group(4);
    if (!patch.equals("2") && !patch.equals("4") && !patch.equals("8")) {
      return null;
    }
    return "DiT-" + size + "/" + patch;
  }
}
