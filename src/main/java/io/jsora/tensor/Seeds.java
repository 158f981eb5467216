package io.jsora.tensor;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.global.torch;

/**
 * Seeding. jsora draws every random number from an explicit {@link Generator} derived from the
 * run's seed, so results repeat exactly; {@link #manualSeed} also seeds libtorch's global
 * generators for module initialisation.
 */
public final class Seeds {
  private Seeds() {}

  /** Seeds libtorch's default CPU (and CUDA, when present) generators. */
  public static void manualSeed(long seed) {
    Natives.load();
    torch.manual_seed(seed);
    if (Devices.cudaAvailable()) {
      torch.cuda_manual_seed_all(seed);
    }
  }

  /** A new CPU generator seeded with {@code seed}; caller owns it. */
  public static Generator cpuGenerator(long seed) {
    Natives.load();
    return torch.createCPUGenerator(seed);
  }

  /**
   * A new generator on {@code device} seeded with {@code seed}; caller owns it. CPU and CUDA
   * streams differ, so a CUDA run does not reproduce a CPU run's numbers.
   */
  public static Generator generator(long seed, Device device) {
    if (!device.is_cuda()) {
      return cpuGenerator(seed);
    }
    Generator g = org.bytedeco.pytorch.global.torch_cuda.make_generator_cuda(device.index());
    g.set_current_seed(seed);
    return g;
  }

  /**
   * Mixes several 64-bit values into one seed (SplitMix64 finaliser per value), for streams keyed
   * by (seed, step, sample index) so results do not depend on how work is spread over ranks.
   */
  public static long mix(long... values) {
    long h = 0x9E3779B97F4A7C15L;
    for (long v : values) {
      h ^= v + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
      h = splitMix(h);
    }
    return h;
  }

  private static long splitMix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
