package io.jsora.parallel;

/**
 * How attention runs when the sequence is split over the ranks of a sequence-parallel group.
 * Both need the head count divisible by the group size.
 */
public enum SpMode {
  /**
   * Each rank projects its own S/P tokens to q, k, v for all heads; an all-to-all trades the
   * sequence split for a head split ({@code [B, S/P, H] → [B, S, H/P]}); attention runs over the
   * whole sequence for H/P heads; an all-to-all trades back; each rank projects its own tokens out.
   * Two all-to-alls forward (q, k, v travel together), two backward.
   */
  ULYSSES,
  /**
   * All-gather the block input once; each rank projects the whole sequence with its slice of the
   * q/k/v weights (its H/P heads); attention; one all-to-all back to S/P tokens; output projection
   * on the local tokens. One all-gather and one all-to-all forward; backward a reduce-scatter and
   * an all-to-all.
   */
  FASTSEQ
}
