package io.jsora.parallel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts the worker processes of one node, as torchrun does: the same Java binary, JVM options and
 * class path as this process, one worker per local rank, each with torchrun's environment ({@code
 * RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT}, plus {@code GROUP_RANK},
 * and {@code JSORA_THREADS} = cores / workers unless set).
 *
 * <ul>
 *   <li>Every line a worker prints is copied to this process's stdout or stderr, prefixed {@code
 *       [rank N] }.
 *   <li>When a worker exits with a non-zero status, the others get SIGTERM, then SIGKILL after the
 *       grace period; the launcher returns the first failure's status.
 *   <li>SIGINT and SIGTERM sent to the launcher are forwarded to the workers (SIGKILL after the
 *       grace period) and the launcher returns 128 + the signal number.
 * </ul>
 */
public final class Launcher {
  /**
   * What to launch.
   *
   * @param nprocPerNode workers on this node
   * @param nnodes nodes in the job
   * @param nodeRank this node's index
   * @param masterAddr host of global rank 0 (on node 0)
   * @param masterPort rendezvous port; 0 picks a free port (single node only)
   * @param mainClass the workers' main class
   * @param args the workers' arguments
   * @param grace how long workers may take to stop after SIGTERM
   * @param env extra environment for the workers
   */
  public record Spec(
      int nprocPerNode,
      int nnodes,
      int nodeRank,
      String masterAddr,
      int masterPort,
      String mainClass,
      List<String> args,
      Duration grace,
      Map<String, String> env) {
    public Spec {
      if (nprocPerNode < 1) {
        throw new IllegalArgumentException("--nproc-per-node must be >= 1, found " + nprocPerNode);
      }
      if (nnodes < 1 || nodeRank < 0 || nodeRank >= nnodes) {
        throw new IllegalArgumentException(
            "--node-rank "
                + nodeRank
                + " must be within 0.."
                + (nnodes - 1)
                + " for --nnodes "
                + nnodes);
      }
      if (masterPort == 0 && nnodes > 1) {
        throw new IllegalArgumentException(
            "--master-port is required with --nnodes > 1 (every node must use the same port)");
      }
      if (masterPort < 0 || masterPort > 65535) {
        throw new IllegalArgumentException(
            "--master-port must be within 1..65535, found " + masterPort);
      }
      args = List.copyOf(args);
      env = Map.copyOf(env);
    }
  }

  private final Spec spec;
  private final PrintWriter out;
  private final PrintWriter err;
  private final List<Process> workers = new ArrayList<>();
  private volatile int signal;

  public Launcher(Spec spec, PrintWriter out, PrintWriter err) {
    this.spec = spec;
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the workers to completion.
   *
   * @return 0 when every worker succeeded; the first failed worker's status; or 128 + signal when
   *     the launcher was interrupted
   */
  public int run() throws IOException, InterruptedException {
    int port = spec.masterPort() > 0 ? spec.masterPort() : freePort();
    int world = spec.nprocPerNode() * spec.nnodes();
    List<String> command =
        shareNativeLimit(javaCommand(spec.mainClass(), spec.args()), spec.nprocPerNode());
    List<Thread> pumps = new ArrayList<>();
    Signals.Handle handle = Signals.install(this::onSignal);
    for (String sig : handle.ignored()) {
      message(
          "SIG"
              + sig
              + " is ignored by this process (it was started so, e.g. as a background job) and the JVM cannot catch an "
              + "ignored signal: SIG"
              + sig
              + " will not reach the workers; stop them with SIG"
              + (sig.equals("INT") ? "TERM" : "INT"));
    }
    try {
      for (int local = 0; local < spec.nprocPerNode(); local++) {
        int rank = spec.nodeRank() * spec.nprocPerNode() + local;
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.putAll(spec.env());
        env.putAll(
            new DistEnv(rank, world, local, spec.nprocPerNode(), spec.masterAddr(), port, "launch")
                .toEnvironment());
        env.put("GROUP_RANK", Integer.toString(spec.nodeRank()));
        env.putIfAbsent(
            "JSORA_THREADS",
            Integer.toString(
                Math.max(1, Runtime.getRuntime().availableProcessors() / spec.nprocPerNode())));
        Process p = pb.start();
        p.getOutputStream().close();
        workers.add(p);
        pumps.add(pump(p.getInputStream(), out, "[rank " + rank + "] "));
        pumps.add(pump(p.getErrorStream(), err, "[rank " + rank + "] "));
      }
      int status = supervise(spec.nodeRank() * spec.nprocPerNode());
      for (Thread t : pumps) {
        t.join(TimeUnit.SECONDS.toMillis(5));
      }
      out.flush();
      err.flush();
      return status;
    } finally {
      handle.restore();
      for (Process p : workers) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * The command that starts a JVM like this one (same binary, JVM options except a debugger agent,
   * class path) running {@code mainClass args}.
   */
  public static List<String> javaCommand(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp")
          && !a.startsWith("-Xrunjdwp")) { // a debugger port cannot be shared
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Divides JavaCPP's native-memory limit ({@code -Dorg.bytedeco.javacpp.maxPhysicalBytes}, set by
   * {@code ./jsora} to 85% of RAM) among the workers of a node, so together they stay under it.
   */
  static List<String> shareNativeLimit(List<String> cmd, int workers) {
    String key = "-Dorg.bytedeco.javacpp.maxPhysicalBytes=";
    List<String> out = new ArrayList<>(cmd);
    for (int i = 0; i < out.size(); i++) {
      String a = out.get(i);
      if (a.startsWith(key) && workers > 1) {
        String v = a.substring(key.length()).trim().toLowerCase(java.util.Locale.ROOT);
        long unit =
            switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
              case 'k' -> 1L << 10;
              case 'm' -> 1L << 20;
              case 'g' -> 1L << 30;
              case 't' -> 1L << 40;
              default -> 1;
            };
        try {
          long bytes = Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
          out.set(i, key + bytes / workers);
        } catch (NumberFormatException e) {
          // leave a value we do not understand as it is
        }
      }
    }
    return out;
  }

  /** A port nothing listens on now (the store binds it moments later). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private int supervise(int firstRank) throws InterruptedException {
    int firstFailed = -1;
    int firstStatus = 0;
    long stopDeadline = Long.MAX_VALUE;
    boolean forwarded = false;
    while (true) {
      boolean allDone = true;
      for (int i = 0; i < workers.size(); i++) {
        Process p = workers.get(i);
        if (p.isAlive()) {
          allDone = false;
          continue;
        }
        int code = p.exitValue();
        if (code != 0 && firstFailed < 0 && signal == 0) {
          firstFailed = i;
          firstStatus = code;
          message(
              "rank "
                  + (firstRank + i)
                  + " exited with status "
                  + describe(code)
                  + (workers.size() > 1
                      ? "; stopping the other workers (SIGTERM, SIGKILL after "
                          + spec.grace().toSeconds()
                          + " s)"
                      : ""));
          terminateAll("TERM");
          stopDeadline = System.nanoTime() + spec.grace().toNanos();
        }
      }
      int sig = signal;
      if (sig != 0 && !forwarded) {
        forwarded = true;
        message("received SIG" + Signals.name(sig) + "; forwarding it to the workers");
        terminateAll(Signals.name(sig));
        stopDeadline = Math.min(stopDeadline, System.nanoTime() + spec.grace().toNanos());
      }
      if (allDone) {
        break;
      }
      if (System.nanoTime() > stopDeadline) {
        for (int i = 0; i < workers.size(); i++) {
          if (workers.get(i).isAlive()) {
            message(
                "rank "
                    + (firstRank + i)
                    + " did not stop within "
                    + spec.grace().toSeconds()
                    + " s; sending SIGKILL");
            workers.get(i).toHandle().destroyForcibly();
          }
        }
        stopDeadline = Long.MAX_VALUE;
      }
      Thread.sleep(50);
    }
    if (signal != 0) {
      return 128 + signal;
    }
    if (firstFailed >= 0) {
      StringBuilder b =
          new StringBuilder(
              "failed: rank "
                  + (firstRank + firstFailed)
                  + " first, with status "
                  + describe(firstStatus));
      for (int i = 0; i < workers.size(); i++) {
        if (i != firstFailed) {
          b.append("; rank ")
              .append(firstRank + i)
              .append(' ')
              .append(describe(workers.get(i).exitValue()));
        }
      }
      message(b.toString());
      return firstStatus > 0 && firstStatus < 256 ? firstStatus : 1;
    }
    return 0;
  }

  private static String describe(int code) {
    if (code == 0) {
      return "0";
    }
    if (code == DistributedException.EXIT_STATUS) {
      return code + " (stopped because a peer failed)";
    }
    if (code > 128 && code < 160) {
      return code + " (killed by SIG" + Signals.name(code - 128) + ")";
    }
    return Integer.toString(code);
  }

  private void terminateAll(String signalName) {
    for (Process p : workers) {
      if (p.isAlive()) {
        Signals.send(p, signalName);
      }
    }
  }

  /** Stops the workers as if the launcher had received SIGTERM (for embedding and tests). */
  public void requestStop() {
    onSignal(15);
  }

  private void onSignal(int sig) {
    if (signal == 0) {
      signal = sig;
    }
  }

  private void message(String m) {
    synchronized (err) {
      err.println("jsora launch: " + m);
      err.flush();
    }
  }

  private static Thread pump(InputStream in, PrintWriter to, String prefix) {
    Thread t =
        new Thread(
            () -> {
              BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
              int errors = 0;
              while (true) {
                String line;
                try {
                  line = r.readLine();
                } catch (IOException e) {
                  // when a process exits, the JDK closes the pipe under a blocked reader and keeps
                  // the
                  // bytes still buffered in the stream object: read on to get them
                  if (++errors > 3) {
                    break;
                  }
                  continue;
                }
                if (line == null) {
                  break;
                }
                synchronized (to) {
                  to.println(prefix + line);
                  to.flush();
                }
              }
            },
            "jsora-launch-pump");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
