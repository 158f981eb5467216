package io.jsora.parallel;

/**
 * A collective failed or could not start because another rank failed, hung or left. The message
 * names the rank(s) at fault when they can be told (a dead process on this host, a rank that
 * reported its own failure, stopped heartbeats, or a rank that never joined the collective) and
 * ends with libtorch's own first line in brackets.
 *
 * <p>After this exception the process groups are unusable: the job cannot continue, only stop.
 * Unless the process exits by itself within the collective timeout, the context's watchdog ends it
 * with exit status {@link #EXIT_STATUS}.
 */
public final class DistributedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit status of a process stopped because a peer failed (distinct from its own errors, 1). */
  public static final int EXIT_STATUS = 3;

  private final int culprit;

  DistributedException(String message, int culprit, Throwable cause) {
    super(message, cause);
    this.culprit = culprit;
  }

  /** The global rank found at fault, or -1 when it could not be determined. */
  public int culprit() {
    return culprit;
  }
}
