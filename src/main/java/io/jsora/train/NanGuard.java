package io.jsora.train;

/**
 * Skips optimizer steps whose loss or gradient norm is NaN or infinite, counts them, and stops the
 * run after {@code maxConsecutive} bad steps in a row (a diverged run, not a fluke).
 *
 * <p>The trainer asks {@link #admit} after backward and clipping; on {@code false} it clears the
 * gradients and does not step the optimizer, the EMA or anything else, but still advances its step
 * counter so data and randomness move on.
 */
public final class NanGuard {
  /** Thrown when too many bad steps came in a row. */
  public static final class DivergedException extends IllegalStateException {
    DivergedException(String message) {
      super(message);
    }
  }

  private final int maxConsecutive;
  private long skipped;
  private int consecutive;
  private long firstBadStep = -1;

  /**
   * @param maxConsecutive bad steps in a row that stop the run (at least 1)
   */
  public NanGuard(int maxConsecutive) {
    if (maxConsecutive < 1) {
      throw new IllegalArgumentException(
          "NaN guard: the number of bad steps in a row must be >= 1, got " + maxConsecutive);
    }
    this.maxConsecutive = maxConsecutive;
  }

  /** Restores the counters of a checkpoint. */
  public NanGuard(int maxConsecutive, long skipped, int consecutive) {
    this(maxConsecutive);
    this.skipped = skipped;
    this.consecutive = consecutive;
  }

  /**
   * Whether step {@code step} may update the weights.
   *
   * @throws DivergedException after {@code maxConsecutive} bad steps in a row, with the step range,
   *     the last values and what to try
   */
  public boolean admit(long step, double loss, double gradNorm) {
    if (Double.isFinite(loss) && Double.isFinite(gradNorm)) {
      consecutive = 0;
      firstBadStep = -1;
      return true;
    }
    skipped++;
    if (consecutive == 0) {
      firstBadStep = step;
    }
    consecutive++;
    if (consecutive >= maxConsecutive) {
      throw new DivergedException(
          "training diverged: loss or gradient norm was NaN/inf for "
              + consecutive
              + " steps in a row (steps "
              + (firstBadStep >= 0 ? firstBadStep : step)
              + ".."
              + step
              + "; last loss "
              + loss
              + ", gradient norm "
              + gradNorm
              + "; "
              + skipped
              + " steps skipped in total). Lower the learning rate, enable gradient clipping or"
              + " use fp32, then resume from the last checkpoint.");
    }
    return false;
  }

  /** Bad steps skipped since the run began (including before a resume). */
  public long skipped() {
    return skipped;
  }

  /** Bad steps in a row just before now. */
  public int consecutive() {
    return consecutive;
  }

  public int maxConsecutive() {
    return maxConsecutive;
  }
}
