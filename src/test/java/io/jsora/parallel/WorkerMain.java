package io.jsora.parallel;

import io.jsora.tensor.Natives;
import java.time.Duration;

/** What every test worker does around its body: join the job, report failures, exit. */
public final class WorkerMain {
  private WorkerMain() {}

  /** A worker body. */
  public interface Body {
    void run(ParallelContext ctx) throws Exception;
  }

  /**
   * Joins the job from the environment (SP size {@code sp}, collective timeout {@code timeout}),
   * runs {@code body}, closes the context and exits 0; on an error prints it, tells the peers
   * ({@link ParallelContext#abort}) and exits 1, or {@link DistributedException#EXIT_STATUS} when a
   * peer was at fault.
   */
  public static void run(int sp, Duration timeout, Body body) {
    Natives.load();
    ParallelContext ctx = null;
    try {
      ParallelOptions o =
          ParallelOptions.defaults()
              .withSpSize(sp)
              .withTimeout(timeout)
              .withRendezvousTimeout(Duration.ofSeconds(60));
      ctx = ParallelContext.create(DistEnv.parse(System.getenv()), o, false);
      body.run(ctx);
      ctx.close();
      System.out.flush();
      System.exit(0);
    } catch (Throwable t) {
      System.err.println("worker failed: " + t.getMessage());
      System.err.flush();
      if (ctx != null && !(t instanceof DistributedException)) {
        ctx.abort(t);
      }
      System.exit(t instanceof DistributedException ? DistributedException.EXIT_STATUS : 1);
    }
  }
}
