package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Starts test worker JVMs on 127.0.0.1 (each test bounded in time). */
public final class Workers {
  private Workers() {}

  /** What a launch printed and returned. */
  public record Result(int status, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  /**
   * One worker started without the launcher: its rank, exit status (-1: killed at the deadline) and
   * output.
   */
  public record Proc(int rank, int status, String output, long millis) {}

  /** Runs {@code nproc} workers of {@code main} through {@link Launcher} on one node. */
  public static Result launch(int nproc, Class<?> main, Duration timeout, String... args)
      throws Exception {
    return launch(
        new Launcher.Spec(
            nproc,
            1,
            0,
            "127.0.0.1",
            0,
            main.getName(),
            List.of(args),
            Duration.ofSeconds(5),
            Map.of()),
        timeout);
  }

  /** Runs one launcher; if it is not done within {@code timeout}, stops it and fails the test. */
  public static Result launch(Launcher.Spec spec, Duration timeout) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Launcher l = new Launcher(spec, new PrintWriter(out, true), new PrintWriter(err, true));
    AtomicReference<Object> result = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.set(l.run());
              } catch (Exception e) {
                result.set(e);
              }
            },
            "test-launcher");
    t.start();
    t.join(timeout.toMillis());
    if (t.isAlive()) {
      l.requestStop();
      t.join(TimeUnit.SECONDS.toMillis(20));
      fail("workers did not finish within " + timeout + "\nstdout:\n" + out + "\nstderr:\n" + err);
    }
    if (result.get() instanceof Exception e) {
      throw e;
    }
    return new Result((Integer) result.get(), out.toString(), err.toString());
  }

  /**
   * Starts {@code world} workers of {@code main} directly (no launcher: a failing worker does not
   * get its peers stopped), with torchrun's variables, and waits for all, killing what is left at
   * the deadline.
   */
  public static List<Proc> spawn(int world, Class<?> main, Duration timeout, String... args)
      throws Exception {
    int port = Launcher.freePort();
    List<String> cmd = Launcher.javaCommand(main.getName(), List.of(args));
    List<Process> ps = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int r = 0; r < world; r++) {
        Path log = Files.createTempFile("jsora-worker-" + r + "-", ".log");
        logs.add(log);
        ProcessBuilder pb =
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment()
            .putAll(new DistEnv(r, world, r, world, "127.0.0.1", port, "test").toEnvironment());
        pb.environment().put("JSORA_THREADS", "1");
        ps.add(pb.start());
      }
      long deadline = start + timeout.toNanos();
      List<Proc> out = new ArrayList<>();
      for (int r = 0; r < world; r++) {
        Process p = ps.get(r);
        boolean done = p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (!done) {
          p.destroyForcibly().waitFor();
        }
        out.add(new Proc(r, done ? p.exitValue() : -1, Files.readString(logs.get(r)), ms));
      }
      return out;
    } finally {
      for (Process p : ps) {
        p.destroyForcibly();
      }
      for (Path l : logs) {
        try {
          Files.deleteIfExists(l);
        } catch (IOException ignored) {
          // temp file
        }
      }
    }
  }
}
