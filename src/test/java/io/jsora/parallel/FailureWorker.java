package io.jsora.parallel;

import java.time.Duration;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Test worker (world 2, collective timeout 4 s): all-reduces in a loop; at iteration 3 rank 1
 * misbehaves as {@code args[0]} says: {@code kill} (SIGKILL to itself), {@code hang} (sleeps, its
 * heartbeat alive), or {@code error} (throws; the worker reports it to its peer and exits 1).
 */
public final class FailureWorker {
  static final Duration TIMEOUT = Duration.ofSeconds(4);

  private FailureWorker() {}

  public static void main(String[] args) {
    String mode = args[0];
    WorkerMain.run(
        1,
        TIMEOUT,
        ctx -> {
          for (int i = 0; i < 10_000; i++) {
            if (ctx.rank() == 1 && i == 3) {
              System.out.println("rank 1: " + mode);
              System.out.flush();
              switch (mode) {
                case "kill" -> {
                  new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid()))
                      .start()
                      .waitFor();
                  Thread.sleep(60_000);
                }
                case "hang" -> Thread.sleep(600_000);
                case "error" -> throw new IllegalStateException("simulated failure in rank 1");
                default -> throw new IllegalArgumentException(mode);
              }
            }
            try (PointerScope s = new PointerScope()) {
              Tensor t = torch.ones(4);
              ctx.world().allReduceSum(t);
            }
            Thread.sleep(50);
          }
        });
  }
}
