package io.jsora.parallel;

import java.time.Duration;

/**
 * How to set up the process groups of a job.
 *
 * @param spSize sequence-parallel group size P; the data-parallel size is world / P. 1 turns
 *     sequence parallelism off
 * @param timeout how long one collective may wait for its peers before the job is declared failed
 *     (the CLI's {@code --dist-timeout}); also bounds peer heartbeats
 * @param rendezvousTimeout how long ranks wait for each other at start-up (JVM and libtorch start
 *     take seconds, and a queue may start nodes minutes apart)
 * @param backend which collective library to use
 */
public record ParallelOptions(
    int spSize, Duration timeout, Duration rendezvousTimeout, Backend backend) {
  /** Collective library. */
  public enum Backend {
    /** NCCL when the device is CUDA, Gloo otherwise. */
    AUTO,
    /** Gloo over TCP: CPU tensors. */
    GLOO,
    /** NCCL: CUDA tensors, one GPU per process (the GPU build only). */
    NCCL
  }

  /** Default collective timeout: long enough for a slow checkpoint write on another rank. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  public ParallelOptions {
    if (spSize < 1) {
      throw new IllegalArgumentException("--sp-size must be >= 1, found " + spSize);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("--dist-timeout must be positive, found " + timeout);
    }
    if (rendezvousTimeout.isNegative() || rendezvousTimeout.isZero()) {
      throw new IllegalArgumentException(
          "rendezvous timeout must be positive, found " + rendezvousTimeout);
    }
  }

  /** Data parallelism only, default timeouts, automatic backend. */
  public static ParallelOptions defaults() {
    return new ParallelOptions(1, DEFAULT_TIMEOUT, Duration.ofMinutes(5), Backend.AUTO);
  }

  public ParallelOptions withSpSize(int p) {
    return new ParallelOptions(p, timeout, rendezvousTimeout, backend);
  }

  public ParallelOptions withTimeout(Duration t) {
    return new ParallelOptions(spSize, t, rendezvousTimeout, backend);
  }

  public ParallelOptions withRendezvousTimeout(Duration t) {
    return new ParallelOptions(spSize, timeout, t, backend);
  }

  public ParallelOptions withBackend(Backend b) {
    return new ParallelOptions(spSize, timeout, rendezvousTimeout, b);
  }
}
