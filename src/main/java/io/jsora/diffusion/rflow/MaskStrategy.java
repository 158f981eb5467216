package io.jsora.diffusion.rflow;

import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * An inference mask strategy (upstream's {@code mask_strategy} string for one prompt): {@code
 * ;}-separated {@link MaskGroup}s of up to six {@code ,}-separated fields, missing trailing fields
 * defaulting to {@code 0,0,0,0,1,0}. So {@code "0"} puts reference 0's first latent frame, frozen,
 * at frame 0 (image-to-video) and {@code "0;0,1,0,-1,1"} also puts reference 1 at the last frame.
 *
 * @param groups in the order given (later groups overwrite earlier ones where they overlap)
 */
public record MaskStrategy(List<MaskGroup> groups) {
  private static final String[] DEFAULTS = {"0", "0", "0", "0", "1", "0"};

  public MaskStrategy {
    groups = List.copyOf(groups);
  }

  /** No groups: every frame generated. */
  public static MaskStrategy none() {
    return new MaskStrategy(List.of());
  }

  /**
   * Parses upstream syntax; null or empty gives no groups.
   *
   * @throws IllegalArgumentException naming the group (1-based, with its text) and the field
   */
  public static MaskStrategy parse(String text) {
    if (text == null || text.isEmpty()) {
      return none();
    }
    String[] parts = text.split(";", -1);
    List<MaskGroup> groups = new ArrayList<>();
    for (int g = 0; g < parts.length; g++) {
      String where = "mask strategy '" + text + "', group " + (g + 1) + " ('" + parts[g] + "')";
      String[] fields = parts[g].split(",", -1);
      if (fields.length > 6) {
        throw new IllegalArgumentException(
            where
                + ": "
                + fields.length
                + " fields, expected at most 6 ("
                + String.join(",", MaskGroup.FIELDS)
                + ")");
      }
      String[] f = Arrays.copyOf(fields, 6);
      System.arraycopy(DEFAULTS, fields.length, f, fields.length, 6 - fields.length);
      int[] ints = new int[5];
      for (int k = 0; k < 5; k++) {
        try {
          ints[k] = Integer.parseInt(f[k].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              where + ": field " + MaskGroup.FIELDS[k] + " '" + f[k] + "' is not an integer", e);
        }
      }
      double edit;
      try {
        edit = Double.parseDouble(f[5].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            where + ": field edit_ratio '" + f[5] + "' is not a number", e);
      }
      try {
        groups.add(new MaskGroup(ints[0], ints[1], ints[2], ints[3], ints[4], edit));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return new MaskStrategy(groups);
  }

  /**
   * This strategy with {@code group} appended (as the long-video loop appends its condition group).
   */
  public MaskStrategy append(MaskGroup group) {
    List<MaskGroup> g = new ArrayList<>(groups);
    g.add(group);
    return new MaskStrategy(g);
  }

  /**
   * The groups of loop {@code loop}, resolved for z of {@code latentFrames} frames and references
   * of {@code refFrames[id]} latent frames each.
   *
   * @param align snap both starts to a multiple of it (upstream's {@code find_nearest_point}; the
   *     1.2 config uses 5); 1 leaves them as they are (upstream's {@code align=None})
   * @throws IllegalArgumentException for a missing reference or a start outside its tensor
   */
  public List<Placement> resolve(int loop, int latentFrames, int[] refFrames, int align) {
    if (align < 1) {
      throw new IllegalArgumentException(
          "mask strategy: align must be >= 1 (1 = none), got " + align);
    }
    List<Placement> out = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      MaskGroup m = groups.get(g);
      if (m.loopId() != loop) {
        continue;
      }
      String where = "mask strategy '" + this + "', group " + (g + 1) + " (" + m + ")";
      if (m.refId() >= refFrames.length) {
        throw new IllegalArgumentException(
            where
                + ": field ref_id "
                + m.refId()
                + " but the sample has "
                + refFrames.length
                + " reference(s)");
      }
      int refLength = refFrames[m.refId()];
      int refStart = m.refStart() < 0 ? refLength + m.refStart() : m.refStart();
      int targetStart = m.targetStart() < 0 ? latentFrames + m.targetStart() : m.targetStart();
      checkStart(where, "ref_start", m.refStart(), refStart, refLength);
      checkStart(where, "target_start", m.targetStart(), targetStart, latentFrames);
      refStart = nearestPoint(refStart, align, refLength);
      targetStart = nearestPoint(targetStart, align, latentFrames);
      int length = Math.min(m.length(), Math.min(latentFrames - targetStart, refLength - refStart));
      out.add(new Placement(m.refId(), refStart, targetStart, length, m.editRatio()));
    }
    return out;
  }

  /** The edit ratio per latent frame that {@code placements} give: 1 elsewhere. */
  public static double[] frameMask(List<Placement> placements, int latentFrames) {
    double[] mask = new double[latentFrames];
    Arrays.fill(mask, 1.0);
    for (Placement p : placements) {
      Arrays.fill(mask, p.targetStart(), p.targetStart() + p.length(), p.editRatio());
    }
    return mask;
  }

  /**
   * Upstream's {@code apply_mask_strategy} for a batch: pastes each sample's reference latents into
   * {@code z} (in place) and returns the frame mask of edit ratios.
   *
   * @param z {@code [B, C, T, H, W]}, written in place
   * @param refs per sample its references, each {@code [C, T_ref, H, W]} (latents)
   * @param strategies per sample its strategy
   * @param loop the loop being sampled (0 for a single clip)
   * @param align see {@link #resolve}
   * @return float32 {@code [B, T]} on the CPU in the caller's scope, or null when {@code
   *     strategies} is empty (upstream passes no mask then; any non-empty list gives a mask, all
   *     ones without groups)
   */
  public static Tensor apply(
      Tensor z, List<List<Tensor>> refs, List<MaskStrategy> strategies, int loop, int align) {
    if (strategies.isEmpty()) {
      return null;
    }
    long[] zs = Shapes.of(z);
    if (zs.length != 5 || zs[0] != strategies.size() || refs.size() != strategies.size()) {
      throw new IllegalArgumentException(
          "mask strategy: z "
              + Arrays.toString(zs)
              + " needs one strategy and one"
              + " reference list per sample, got "
              + strategies.size()
              + " and "
              + refs.size());
    }
    int frames = (int) zs[2];
    float[] mask = new float[strategies.size() * frames];
    for (int b = 0; b < strategies.size(); b++) {
      List<Tensor> r = refs.get(b);
      int[] lengths = new int[r.size()];
      for (int k = 0; k < lengths.length; k++) {
        long[] rs = Shapes.of(r.get(k));
        if (rs.length != 4 || rs[0] != zs[1] || rs[2] != zs[3] || rs[3] != zs[4]) {
          throw new IllegalArgumentException(
              "mask strategy: sample "
                  + b
                  + " reference "
                  + k
                  + " must be ["
                  + zs[1]
                  + ", T, "
                  + zs[3]
                  + ", "
                  + zs[4]
                  + "] (latents), found "
                  + Arrays.toString(rs));
        }
        lengths[k] = (int) rs[1];
      }
      List<Placement> placements = strategies.get(b).resolve(loop, frames, lengths, align);
      try (PointerScope s = new PointerScope();
          NoGradGuard g = new NoGradGuard()) {
        for (Placement p : placements) {
          Tensor src = r.get(p.refId()).narrow(1, p.refStart(), p.length()); // [C, L, H, W]
          z.select(0, b).narrow(1, p.targetStart(), p.length()).copy_(src);
        }
      }
      double[] m = frameMask(placements, frames);
      for (int f = 0; f < frames; f++) {
        mask[b * frames + f] = (float) m[f];
      }
    }
    return Tensors.of(mask, strategies.size(), frames);
  }

  /**
   * Upstream's {@code find_nearest_point}: {@code value} rounded down to a multiple of {@code
   * point}, or up when past the half-way mark, but never up past {@code point·(⌊max/point⌋ − 1)}
   * (for 15 frames and 5: −1 → 14 → 10).
   */
  static int nearestPoint(int value, int point, int max) {
    int t = Math.floorDiv(value, point);
    if (Math.floorMod(value, point) > point / 2.0 && t < Math.floorDiv(max, point) - 1) {
      t += 1;
    }
    return t * point;
  }

  private static void checkStart(String where, String field, int given, int resolved, int length) {
    if (resolved < 0 || resolved >= length) {
      throw new IllegalArgumentException(
          where
              + ": field "
              + field
              + " "
              + given
              + " is outside the "
              + length
              + " latent frames it indexes");
    }
  }

  /** Upstream syntax, groups joined with {@code ;}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (MaskGroup g : groups) {
      if (sb.length() > 0) {
        sb.append(';');
      }
      sb.append(g);
    }
    return sb.toString();
  }
}
