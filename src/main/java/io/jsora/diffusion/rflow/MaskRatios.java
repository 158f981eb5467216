package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How often each {@link MaskType} is drawn (upstream's {@code mask_ratios}). The order matters for
 * reproducing draws: a uniform u picks the first type whose running sum of ratios exceeds u, in the
 * order given, with {@code identity} appended last (taking {@code 1 − Σ others}) when absent.
 *
 * @param ratios type → probability in [0, 1], summing to 1 (within 1e-6), in draw order
 */
public record MaskRatios(Map<MaskType, Double> ratios) {
  public MaskRatios {
    if (ratios == null || ratios.isEmpty()) {
      throw new IllegalArgumentException("mask ratios: none given");
    }
    Map<MaskType, Double> copy = new LinkedHashMap<>();
    double sum = 0;
    for (Map.Entry<MaskType, Double> e : ratios.entrySet()) {
      double r = e.getValue();
      if (!(r >= 0 && r <= 1)) {
        throw new IllegalArgumentException(
            "mask ratios: " + e.getKey() + " must be in [0, 1], got " + r);
      }
      copy.put(e.getKey(), r);
      sum += r;
    }
    if (Math.abs(sum - 1.0) > 1e-6) {
      throw new IllegalArgumentException(
          "mask ratios: must sum to 1, got " + sum + " over " + copy.keySet());
    }
    ratios = Collections.unmodifiableMap(copy);
  }

  /** Binds a config's {@code mask_ratios} object (type name → ratio, in draw order). */
  @JsonCreator
  static MaskRatios fromJson(Map<String, Double> byName) {
    if (byName == null) {
      throw new IllegalArgumentException("mask ratios: none given");
    }
    return of(byName);
  }

  /** Type name → ratio, in draw order, as configs write it. */
  @JsonValue
  public Map<String, Double> byName() {
    Map<String, Double> out = new LinkedHashMap<>();
    ratios.forEach((k, v) -> out.put(k.id(), v));
    return out;
  }

  /**
   * Ratios as a config lists them (type names or upstream spellings, in order); {@code identity}
   * gets {@code 1 − Σ others} when absent, as upstream's generator fills it.
   */
  public static MaskRatios of(Map<String, Double> byName) {
    Map<MaskType, Double> m = new LinkedHashMap<>();
    double sum = 0;
    for (Map.Entry<String, Double> e : byName.entrySet()) {
      MaskType type = MaskType.parse(e.getKey());
      if (m.put(type, e.getValue()) != null) {
        throw new IllegalArgumentException(
            "mask ratios: " + type + " given twice (as '" + e.getKey() + "')");
      }
      sum += e.getValue();
    }
    if (!m.containsKey(MaskType.IDENTITY)) {
      m.put(MaskType.IDENTITY, 1.0 - sum);
    }
    return new MaskRatios(m);
  }

  /** {@code configs/opensora-v1-2/train/stage1.py} and {@code stage2.py} (identity 0.80). */
  public static MaskRatios stage1() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("random", 0.05);
    m.put("intepolate", 0.005);
    m.put("quarter_random", 0.005);
    m.put("quarter_head", 0.005);
    m.put("quarter_tail", 0.005);
    m.put("quarter_head_tail", 0.005);
    m.put("image_random", 0.025);
    m.put("image_head", 0.05);
    m.put("image_tail", 0.025);
    m.put("image_head_tail", 0.025);
    return of(m);
  }

  /** {@code configs/opensora-v1-2/train/stage3.py} (identity 0.75, image_head 0.22). */
  public static MaskRatios stage3() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("random", 0.01);
    m.put("intepolate", 0.002);
    m.put("quarter_random", 0.002);
    m.put("quarter_head", 0.002);
    m.put("quarter_tail", 0.002);
    m.put("quarter_head_tail", 0.002);
    m.put("image_random", 0.0);
    m.put("image_head", 0.22);
    m.put("image_tail", 0.005);
    m.put("image_head_tail", 0.005);
    return of(m);
  }

  /**
   * The type a uniform {@code u ∈ [0, 1)} selects; {@code identity} if rounding leaves u past the
   * sum (upstream then finds no type and keeps every frame generated).
   */
  public MaskType pick(double u) {
    double acc = 0;
    for (Map.Entry<MaskType, Double> e : ratios.entrySet()) {
      acc += e.getValue();
      if (u < acc) {
        return e.getKey();
      }
    }
    return MaskType.IDENTITY;
  }
}
