package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jsora.parallel.Launcher;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    Matcher m = Pattern.compile("\\[rank 0\\] RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127\\.0\\.0\\.1 MASTER_PORT=(\\d+) GROUP_RANK=0").matcher(r.out());
    assertTrue(m.find(), r.out());
    String port = m.group(1);
    assertTrue(Integer.parseInt(port) > 0);
    assertTrue(r.out().contains("[rank 1] RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " GROUP_RANK=0"), r.out());
    assertTrue(r.out().contains("[rank 1] parsed 1/2 from torchrun"), r.out());
    assertTrue(r.err().contains("[rank 0] hello on stderr") && r.err().contains("[rank 1] hello on stderr"), r.err());
  }

  @Test
  @Timeout(60)
  void aFailingWorkerStopsTheOthersAndItsStatusIsTheLaunchersExitCode() {
    Cli r = Cli.run("launch", "--nproc-per-node", "2", "--grace-period", "5", "--main-class", PROBE, "--", "exit", "1", "7");
    assertEquals(7, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("jsora launch: rank 1 exited with status 7; stopping the other workers"), r.err());
    assertTrue(r.err().contains("failed: rank 1 first, with status 7; rank 0 143 (killed by SIGTERM)"), r.err());
    if (r.out().contains("[rank 0] ready")) { // else SIGTERM came before its JVM had started
      assertTrue(r.out().contains("[rank 0] shutdown hook ran"), "rank 0's output while stopping is kept:\n" + r.out());
    }
  }

  @Test
  void multiNodeNeedsAPortAndAValidNodeRank() {
    Cli r = Cli.run("launch", "--nnodes", "2", "--node-rank", "0", "--", "train");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--master-port is required with --nnodes > 1"), r.err());
    r = Cli.run("launch", "--nnodes", "2", "--node-rank", "2", "--master-port", "29999", "--", "train");
    assertTrue(r.err().contains("--node-rank 2 must be within 0..1"), r.err());
  }

  @ParameterizedTest
  @CsvSource({"TERM, 143", "INT, 130"})
  @Timeout(60)
  void signalsToTheLauncherReachTheWorkers(String signal, int expected) throws Exception {
    List<String> cmd = Launcher.javaCommand(Main.class.getName(),
        List.of("launch", "--nproc-per-node", "2", "--grace-period", "10", "--main-class", PROBE, "--", "sleep"));
    Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader br = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
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
        while (!(out.toString().contains("[rank 0] ready") && out.toString().contains("[rank 1] ready"))) {
          if (System.nanoTime() > deadline || !launcher.isAlive()) {
            fail("workers did not start:\n" + out);
          }
          out.wait(200);
        }
      }
      Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(launcher.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "launcher did not stop:\n" + out);
      reader.join(5000);
      String text;
      synchronized (out) {
        text = out.toString();
      }
      assertEquals(expected, launcher.exitValue(), text);
      assertTrue(text.contains("received SIG" + signal + "; forwarding it to the workers"), text);
      assertTrue(text.contains("[rank 0] shutdown hook ran") && text.contains("[rank 1] shutdown hook ran"), text);
    } finally {
      launcher.destroyForcibly();
    }
  }
}
