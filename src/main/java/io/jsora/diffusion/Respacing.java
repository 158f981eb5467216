package io.jsora.diffusion;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Chooses which steps of a {@code T}-step process a shorter sampler visits (IDDPM's respacing).
 *
 * <p>Specs: {@code ""} keeps every step; {@code "250"} takes 250 evenly spread steps; {@code
 * "10,15,20"} splits the process into three equal sections and takes 10, 15 and 20 steps from them
 * (the first and last step of each section included); {@code "ddim25"} takes the steps {@code 0, k,
 * 2k, …} of the one integer stride {@code k} that gives exactly 25 (the DDIM paper's spacing).
 *
 * <p>The respaced process keeps {@code ᾱ} at the kept steps exactly: its betas are {@code 1 −
 * ᾱ_{t_i} / ᾱ_{t_{i−1}}} (see {@link GaussianDiffusion#create}).
 */
public final class Respacing {
  private Respacing() {}

  /** The kept steps in increasing order, each in {@code [0, numTimesteps)}. */
  public static int[] timesteps(int numTimesteps, String spec) {
    if (numTimesteps < 1) {
      throw new IllegalArgumentException(
          "number of diffusion steps must be >= 1, got " + numTimesteps);
    }
    String s = spec == null ? "" : spec.trim();
    if (s.isEmpty()) {
      return range(0, numTimesteps, 1);
    }
    if (s.startsWith("ddim")) {
      int desired = parseCount(s.substring(4), spec);
      for (int stride = 1; stride < numTimesteps; stride++) {
        if ((numTimesteps + stride - 1) / stride == desired) {
          return range(0, numTimesteps, stride);
        }
      }
      if (desired == numTimesteps) {
        return range(0, numTimesteps, 1);
      }
      throw new IllegalArgumentException(
          "timestep respacing '"
              + spec
              + "': no integer stride gives exactly "
              + desired
              + " of "
              + numTimesteps
              + " steps");
    }
    String[] parts = s.split(",");
    int[] counts = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      counts[i] = parseCount(parts[i], spec);
    }
    return sections(numTimesteps, counts, spec);
  }

  private static int[] sections(int numTimesteps, int[] counts, String spec) {
    int sizePer = numTimesteps / counts.length;
    int extra = numTimesteps % counts.length;
    int start = 0;
    TreeSet<Integer> steps = new TreeSet<>();
    for (int i = 0; i < counts.length; i++) {
      int size = sizePer + (i < extra ? 1 : 0);
      if (size < counts[i]) {
        throw new IllegalArgumentException(
            "timestep respacing '"
                + spec
                + "': cannot take "
                + counts[i]
                + " steps from a section of "
                + size
                + " steps");
      }
      double stride = counts[i] <= 1 ? 1 : (double) (size - 1) / (counts[i] - 1);
      double cur = 0;
      for (int k = 0; k < counts[i]; k++) {
        steps.add(start + (int) Math.rint(cur)); // round half to even, as Python's round()
        cur += stride;
      }
      start += size;
    }
    int[] out = new int[steps.size()];
    int k = 0;
    for (int v : steps) {
      out[k++] = v;
    }
    return out;
  }

  private static int parseCount(String text, String spec) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "timestep respacing '"
              + spec
              + "': expected a positive step count, found '"
              + text.trim()
              + "' (examples: 250, 10,15,20, ddim25)");
    }
  }

  private static int[] range(int from, int to, int stride) {
    List<Integer> l = new ArrayList<>();
    for (int i = from; i < to; i += stride) {
      l.add(i);
    }
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
