package io.jsora.data.bucket;

/**
 * The generator behind NumPy's {@code np.random.default_rng(seed)}: the seed expanded by NumPy's
 * {@code SeedSequence} into a PCG64 (128-bit LCG, XSL-RR output) state, and {@link #nextDouble} as
 * its {@code random()} (top 53 bits of the next 64-bit output, times 2⁻⁵³). The reference draws its
 * bucket keep-decisions from such generators, so the same seed keeps the same samples here.
 */
final class Pcg64 {
  private static final long MASK32 = 0xFFFFFFFFL;
  private static final long MULT_HI = 0x2360ED051FC65DA4L;
  private static final long MULT_LO = 0x4385DF649FCCF645L;

  private long stateHi;
  private long stateLo;
  private final long incHi;
  private final long incLo;

  /** As {@code default_rng(seed)} for a non-negative seed. */
  Pcg64(long seed) {
    if (seed < 0) {
      throw new IllegalArgumentException("generator seed must be >= 0, got " + seed);
    }
    long[] w = seedSequence(seed, 8);
    long initHi = w[0] | (w[1] << 32);
    long initLo = w[2] | (w[3] << 32);
    long seqHi = w[4] | (w[5] << 32);
    long seqLo = w[6] | (w[7] << 32);
    // inc = (seq << 1) | 1 over 128 bits
    incHi = (seqHi << 1) | (seqLo >>> 63);
    incLo = (seqLo << 1) | 1L;
    stateHi = 0;
    stateLo = 0;
    step();
    long lo = stateLo + initLo;
    long carry = Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0;
    stateHi = stateHi + initHi + carry;
    stateLo = lo;
    step();
  }

  /** A double in [0, 1), as NumPy's {@code Generator.random()}. */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** The next 64-bit output: advance, then fold and rotate the new state. */
  long nextLong() {
    step();
    long x = stateHi ^ stateLo;
    int rot = (int) (stateHi >>> 58);
    return Long.rotateRight(x, rot);
  }

  /** state = state × MULT + inc (mod 2¹²⁸). */
  private void step() {
    long lo = stateLo * MULT_LO;
    long hi = unsignedMultiplyHigh(stateLo, MULT_LO) + stateLo * MULT_HI + stateHi * MULT_LO;
    long sumLo = lo + incLo;
    long carry = Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0;
    stateHi = hi + incHi + carry;
    stateLo = sumLo;
  }

  private static long unsignedMultiplyHigh(long a, long b) {
    return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
  }

  /**
   * NumPy's {@code SeedSequence(seed).generate_state(words, uint32)}: the seed's 32-bit words
   * (least significant first) hashed into a pool of four, the pool hashed out into {@code words}
   * words (each in the low 32 bits of a long).
   */
  static long[] seedSequence(long seed, int words) {
    long[] entropy =
        (seed >>> 32) != 0 ? new long[] {seed & MASK32, seed >>> 32} : new long[] {seed & MASK32};
    long[] hashConst = {0x43b0d7e5L};
    long[] pool = new long[4];
    for (int i = 0; i < 4; i++) {
      pool[i] = hashMix(i < entropy.length ? entropy[i] : 0, hashConst);
    }
    for (int src = 0; src < 4; src++) {
      for (int dst = 0; dst < 4; dst++) {
        if (src != dst) {
          pool[dst] = mix(pool[dst], hashMix(pool[src], hashConst));
        }
      }
    }
    for (int src = 4; src < entropy.length; src++) {
      for (int dst = 0; dst < 4; dst++) {
        pool[dst] = mix(pool[dst], hashMix(entropy[src], hashConst));
      }
    }
    long[] out = new long[words];
    long hash = 0x8b51f9ddL;
    for (int i = 0; i < words; i++) {
      long v = pool[i % 4] ^ hash;
      hash = (hash * 0x58f38dedL) & MASK32;
      v = (v * hash) & MASK32;
      v ^= v >>> 16;
      out[i] = v;
    }
    return out;
  }

  private static long hashMix(long value, long[] hashConst) {
    long v = (value ^ hashConst[0]) & MASK32;
    hashConst[0] = (hashConst[0] * 0x931e8875L) & MASK32;
    v = (v * hashConst[0]) & MASK32;
    return v ^ (v >>> 16);
  }

  private static long mix(long x, long y) {
    long r = (0xca01f9ddL * x - 0x4973f715L * y) & MASK32;
    return r ^ (r >>> 16);
  }
}
