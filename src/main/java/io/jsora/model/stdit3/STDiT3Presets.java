package io.jsora.model.stdit3;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * STDiT3 configs by name, for {@code jsora train --model-family stdit3 --model NAME}: the released
 * size and a tiny one for tests and the CPU. Input channels and caption width follow the training
 * data (the trainer sets them); the rest is the preset's.
 */
public final class STDiT3Presets {
  private STDiT3Presets() {}

  private static final Map<String, Supplier<STDiT3Config>> PRESETS = new LinkedHashMap<>();

  static {
    PRESETS.put("STDiT3-XL/2", STDiT3Config::xl2);
    PRESETS.put("STDiT3-T/2", STDiT3Presets::tiny);
  }

  /** The name a run takes when it names no preset. */
  public static final String DEFAULT = "STDiT3-XL/2";

  /**
   * A tiny STDiT3 (about 60 k parameters at 3 latent channels and 64-wide captions): 2 spatial and
   * 2 temporal blocks of width 32, 2 heads of 16 (so 2 sequence-parallel ranks split them), patch
   * (1, 2, 2), captions of up to 32 tokens (the built-in text encoder's length), QK-norm, every
   * parameter trained.
   */
  public static STDiT3Config tiny() {
    return new STDiT3Config(
        null,
        512,
        4,
        List.of(1, 2, 2),
        32,
        2,
        2,
        4.0,
        0.1,
        true,
        0.0,
        64,
        32,
        true,
        false,
        false,
        false,
        false,
        false,
        false);
  }

  /** Every preset name. */
  public static List<String> names() {
    return new ArrayList<>(PRESETS.keySet());
  }

  /** Whether {@code name} names a preset (case-insensitive). */
  public static boolean isPreset(String name) {
    return canonicalOrNull(name) != null;
  }

  /** The preset's spelling of {@code name}. */
  public static String canonical(String name) {
    String c = canonicalOrNull(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "unknown STDiT3 preset '" + name + "'; expected one of " + String.join(", ", names()));
    }
    return c;
  }

  /**
   * The preset's config.
   *
   * @throws IllegalArgumentException listing the presets when {@code name} is not one
   */
  public static STDiT3Config get(String name) {
    return PRESETS.get(canonical(name)).get();
  }

  private static String canonicalOrNull(String name) {
    if (name == null) {
      return null;
    }
    for (String k : PRESETS.keySet()) {
      if (k.toLowerCase(Locale.ROOT).equals(name.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    return null;
  }
}
