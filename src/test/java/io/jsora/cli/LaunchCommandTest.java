package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jsora.parallel.Launcher;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LaunchCommandTest {
  private static final String PROBE = "io.jsora.parallel.LaunchProbe";

  @Test
  @Timeout(60)
  void workersGetTorchrunsEnvironmentAndTheirLinesArePrefixed() {
    Cli r = Cli.run("launch", "--nproc-per-node", "2", "--main-class", PROBE, "--", "env");
    assertEquals(0, r.code(), r.out() + r.err());
    Matcher m =
        Pattern.compile(
                "\\[rank 0\\] RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127\\.0\\.0\\.1 MASTER_PORT=(\\d+) GROUP_RANK=0")
            .matcher(r.out());
    assertTrue(m.find(), r.out());
    String port = m.group(1);
    assertTrue(Integer.parseInt(port) > 0);
    assertTrue(
        r.out()
            .contains(
                "[rank 1] RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="
                    + port
                    + " GROUP_RANK=0"),
        r.out());
    assertTrue(r.out().contains("[rank 1] parsed 1/2 from torchrun"), r.out());
    assertTrue(
        r.err().contains("[rank 0] hello on stderr")
            && r.err().contains("[rank 1] hello on stderr"),
        r.err());
  }

  @Test
  @Timeout(60)
  void aFailingWorkerStopsTheOthersAndItsStatusIsTheLaunchersExitCode() {
    Cli r =
        Cli.run(
            "launch",
            "--nproc-per-node",
            "2",
            "--grace-period",
            "5",
            "--main-class",
            PROBE,
            "--",
            "exit",
            "1",
            "7");
    assertEquals(7, r.code(), r.out() + r.err());
    assertTrue(
        r.err().contains("jsora launch: rank 1 exited with status 7; stopping the other workers"),
        r.err());
    assertTrue(
        r.err().contains("failed: rank 1 first, with status 7; rank 0 143 (killed by SIGTERM)"),
        r.err());
    if (r.out().contains("[rank 0] ready")) { // else SIGTERM came before its JVM had started
      assertTrue(
          r.out().contains("[rank 0] shutdown hook ran"),
          "rank 0's output while stopping is kept:\n" + r.out());
    }
  }

  @Test
  void multiNodeNeedsAPortAndAValidNodeRank() {
    Cli r = Cli.run("launch", "--nnodes", "2", "--node-rank", "0", "--", "train");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--master-port is required with --nnodes > 1"), r.err());
    r =
        Cli.run(
            "launch", "--nnodes", "2", "--node-rank", "2", "--master-port", "29999", "--", "train");
    assertTrue(r.err().contains("--node-rank 2 must be within 0..1"), r.err());
  }

  @ParameterizedTest
  @CsvSource({"TERM, 143", "INT, 130"})
  @Timeout(60)
  void signalsToTheLauncherReachTheWorkers(String signal, int expected) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            Launcher.javaCommand(
                Main.class.getName(),
                List.of(
                    "launch",
                    "--nproc-per-node",
                    "2",
                    "--grace-period",
                    "10",
                    "--main-class",
                    PROBE,
                    "--",
                    "sleep")));
    if (signal.equals("INT") && ignoredHere(2)) {
      // a JVM started with SIGINT ignored can never catch it: start the launcher as a foreground
      // shell would
      Assumptions.assumeTrue(
          envCan("--default-signal=INT"),
          "SIGINT is ignored by this test JVM (started as a background job?), a JVM "
              + "cannot catch an ignored SIGINT, and env --default-signal is not available to restore it for the launcher: skipped");
      System.out.println(
          "SIGINT is ignored by this test JVM (started as a background job?): the launcher is started with it restored "
              + "(env --default-signal=INT)");
      cmd.addAll(0, List.of("env", "--default-signal=INT"));
    }
    Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader br =
                  new BufferedReader(
                      new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                  synchronized (out) {
                    out.append(line).append('\n');
                    out.notifyAll();
                  }
                }
              } catch (java.io.IOException ignored) {
                // process gone
              }
            });
    reader.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      synchronized (out) {
        while (!(out.toString().contains("[rank 0] ready")
            && out.toString().contains("[rank 1] ready"))) {
          if (System.nanoTime() > deadline || !launcher.isAlive()) {
            fail("workers did not start:\n" + out);
          }
          out.wait(200);
        }
      }
      Process kill =
          new ProcessBuilder("kill", "-s", signal, Long.toString(launcher.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "launcher did not stop:\n" + out);
      reader.join(5000);
      String text;
      synchronized (out) {
        text = out.toString();
      }
      assertEquals(expected, launcher.exitValue(), text);
      assertTrue(text.contains("received SIG" + signal + "; forwarding it to the workers"), text);
      assertTrue(
          text.contains("[rank 0] shutdown hook ran")
              && text.contains("[rank 1] shutdown hook ran"),
          text);
    } finally {
      launcher.destroyForcibly();
    }
  }

  @Test
  @Timeout(60)
  void aLauncherStartedWithSigintIgnoredSaysItCannotForwardIt() throws Exception {
    Assumptions.assumeTrue(
        envCan("--ignore-signal=INT"),
        "env --ignore-signal is not available to start a process ignoring SIGINT: skipped");
    List<String> cmd = new ArrayList<>(List.of("env", "--ignore-signal=INT"));
    cmd.addAll(
        Launcher.javaCommand(
            Main.class.getName(),
            List.of("launch", "--nproc-per-node", "1", "--main-class", PROBE, "--", "env")));
    Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), out);
      assertEquals(0, launcher.exitValue(), out);
      assertTrue(
          out.contains(
              "jsora launch: SIGINT is ignored by this process (it was started so, e.g. as a background job) and the JVM "
                  + "cannot catch an ignored signal: SIGINT will not reach the workers; stop them with SIGTERM"),
          out);
      assertTrue(!out.contains("SIGTERM is ignored"), out);
    } finally {
      launcher.destroyForcibly();
    }
  }

  /**
   * Whether this process ignores signal {@code signo} (Linux: the SigIgn mask of
   * /proc/self/status).
   */
  static boolean ignoredHere(int signo) throws java.io.IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return new java.math.BigInteger(line.substring("SigIgn:".length()).trim(), 16)
            .testBit(signo - 1);
      }
    }
    return false;
  }

  /** Whether {@code env OPTION true} runs (coreutils 8.31 and later know the signal options). */
  static boolean envCan(String option) {
    try {
      Process p =
          new ProcessBuilder("env", option, "true")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
