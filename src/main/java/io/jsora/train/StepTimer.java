package io.jsora.train;

/**
 * A listener for how long each phase of a training step took, for benchmarks ({@code
 * trainer.listen((StepTimer) (step, micro, phase, nanos) -> ...)}). Called on the training thread;
 * keep it cheap. On CUDA the trainer synchronises the device before reading the clock while a timer
 * listens (so the phases add up to device time, at the price of the overlap they would otherwise
 * have); without one nothing is measured or synchronised.
 */
@FunctionalInterface
public interface StepTimer extends TrainListener {
  /** The phases of one optimizer step, in the order they run. */
  enum Phase {
    /** Waiting for the next micro-batch from the loader. */
    DATA,
    /** Randomness, model forward and loss (with sequence parallelism, its forward collectives). */
    FORWARD,
    /**
     * Backward (with sequence parallelism, its backward collectives), and reading the loss values.
     */
    BACKWARD,
    /**
     * Gradient averaging over the ranks (all-reduce, or ZeRO-2's reduce-scatter) and the metrics
     * all-reduce.
     */
    COMMUNICATION,
    /**
     * Learning rate, gradient norm and clipping, NaN guard, optimizer update (ZeRO-2: with its
     * all-gather), EMA.
     */
    OPTIMIZER,
    /** Writing a checkpoint (ZeRO-2: gathering the optimizer state first); only steps that save. */
    CHECKPOINT
  }

  /**
   * @param step the optimizer step being run (0 for the first of a fresh run)
   * @param micro the micro-batch for {@code DATA}, {@code FORWARD} and {@code BACKWARD} (0 ..
   *     accumulation − 1), −1 for the other phases
   * @param phase which phase
   * @param nanos its wall time
   */
  void record(long step, int micro, Phase phase, long nanos);

  @Override
  default boolean timesPhases() {
    return true;
  }

  @Override
  default void onPhase(long step, int micro, Phase phase, long nanos) {
    record(step, micro, phase, nanos);
  }
}
