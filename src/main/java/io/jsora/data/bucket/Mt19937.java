package io.jsora.data.bucket;

/**
 * The generator behind a CPU {@code torch.Generator} after {@code manual_seed(seed)} (MT19937 on
 * the seed's low 32 bits) and the permutation {@code torch.randperm(n, generator=g)} draws from it
 * (Fisher–Yates from the front: position i swaps with i + u mod (n − i), u the next 32-bit output).
 * The reference's bucket sampler shuffles with it, so the same seed gives the same order here.
 */
final class Mt19937 {
  private static final int N = 624;
  private final int[] mt = new int[N];
  private int index = N;

  Mt19937(long seed) {
    mt[0] = (int) seed;
    for (int j = 1; j < N; j++) {
      mt[j] = 1812433253 * (mt[j - 1] ^ (mt[j - 1] >>> 30)) + j;
    }
  }

  /** The next output, an unsigned 32-bit value. */
  long nextUnsigned() {
    if (index >= N) {
      for (int k = 0; k < N; k++) {
        int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + 397) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y & 0xFFFFFFFFL;
  }

  /** A permutation of 0 .. n−1, as {@code torch.randperm(n, generator=this)}. */
  int[] randperm(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    for (int i = 0; i < n - 1; i++) {
      int z = (int) (nextUnsigned() % (n - i));
      int t = r[i];
      r[i] = r[z + i];
      r[z + i] = t;
    }
    return r;
  }
}
