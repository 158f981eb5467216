package io.jsora.parallel;

import java.io.PrintStream;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the other ranks of a job so that no rank waits forever on a dead or stuck peer, and so
 * that every failure names the rank at fault.
 *
 * <p>Each rank publishes a heartbeat in the rendezvous store every {@code interval} (a tenth of the
 * collective timeout, at most one second) from a daemon thread, through its own store connection: a
 * counter, its state ({@code run}, {@code done}, {@code exit}, {@code fail}), how many collectives
 * it has entered on each group, and a note. The same thread reads every peer's heartbeat and acts
 * as watchdog:
 *
 * <ul>
 *   <li>a peer that reported {@code exit} (its JVM shut down before closing the context) or {@code
 *       fail} (it raised an error), or whose heartbeat has not changed for the collective timeout,
 *       is recorded as failed; the next collective on this rank fails at once with that message;
 *   <li>a collective still running {@code timeout + margin} after it began (libtorch should have
 *       raised by then), or a recorded peer failure that this rank has not acted on within the
 *       timeout, ends the process: the message goes to stderr and the process exits with status
 *       {@link DistributedException#EXIT_STATUS}.
 * </ul>
 *
 * When a collective fails, {@link #failure} tells who is at fault, in this order: a rank whose
 * process on this host is gone (checked by pid, at once), a rank that reported its own failure or
 * stopped its heartbeat (waited for up to three heartbeat intervals), a rank that never entered the
 * collective (its published count for the group is behind), or, when the store itself is
 * unreachable, rank 0, which serves it.
 */
final class PeerMonitor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerMonitor.class);
  private static final String PREFIX = "jsora/monitor/";

  private final Store store;
  private final int rank;
  private final int world;
  private final long timeoutMs;
  private final long intervalMs;
  private final String host;
  private final long pid;
  private final IntConsumer exiter;
  private final Object storeLock = new Object();

  private final Identity[] peer;
  private final String[] peerValue;
  private final long[] peerChanged;

  private final Map<String, Long> seqs = new ConcurrentHashMap<>();
  private volatile String state = "run";
  private volatile String note = "";
  private long beat;
  private volatile InFlight inFlight;
  private volatile Fault fault;
  private volatile boolean stopped;
  private volatile boolean exiting;
  private volatile boolean storeLost;
  private Thread thread;
  private Thread shutdownHook;

  private record InFlight(String group, String op, long seq, long startNanos) {}

  /** A peer found at fault: its global rank (or -1) and what happened to it. */
  record Fault(int rank, String message, long seenNanos) {}

  /** Where a rank runs, published once at start as {@code host pid}. */
  record Identity(String host, long pid) {
    static Identity parse(String v) {
      int sp = v.lastIndexOf(' ');
      return new Identity(v.substring(0, sp), Long.parseLong(v.substring(sp + 1)));
    }

    String encode() {
      return host + " " + pid;
    }
  }

  /**
   * One rank's heartbeat as published in the store, {@code beat|state|group:count,...|note}.
   *
   * @param beat a counter that grows with every publication, so a live peer's value changes
   * @param state {@code run}, {@code done}, {@code exit} or {@code fail}
   * @param entered how many collectives the rank has entered on each group, by group name
   * @param note what the rank last said about itself (why it failed, where it was last seen)
   */
  record Heartbeat(long beat, String state, Map<String, Long> entered, String note) {
    /**
     * Reads a published heartbeat; a missing one (null) reads as a running rank that entered
     * nothing.
     */
    static Heartbeat parse(String v) {
      String[] p = v == null ? new String[0] : v.split("\\|", 4);
      Map<String, Long> entered = new LinkedHashMap<>();
      if (p.length > 2) {
        for (String kv : p[2].split(",")) {
          int c = kv.indexOf(':');
          if (c > 0) {
            entered.put(kv.substring(0, c), Long.parseLong(kv.substring(c + 1)));
          }
        }
      }
      return new Heartbeat(
          p.length > 0 && !p[0].isEmpty() ? Long.parseLong(p[0]) : 0,
          p.length > 1 ? p[1] : "run",
          entered,
          p.length > 3 ? p[3] : "");
    }

    /** How many collectives the rank has entered on {@code group} (0 if none). */
    long entered(String group) {
      return entered.getOrDefault(group, 0L);
    }

    String encode() {
      StringBuilder s = new StringBuilder();
      s.append(beat).append('|').append(state).append('|');
      boolean first = true;
      for (Map.Entry<String, Long> e : entered.entrySet()) {
        s.append(first ? "" : ",").append(e.getKey()).append(':').append(e.getValue());
        first = false;
      }
      return s.append('|').append(note).toString();
    }
  }

  /**
   * @param store a store connection used by this monitor only
   * @param exiter ends the process with the given status (System.exit in production)
   */
  PeerMonitor(Store store, int rank, int world, long timeoutMs, IntConsumer exiter) {
    this.store = store;
    this.rank = rank;
    this.world = world;
    this.timeoutMs = timeoutMs;
    this.intervalMs = Math.max(100, Math.min(1000, timeoutMs / 10));
    this.host = hostName();
    this.pid = ProcessHandle.current().pid();
    this.exiter = exiter;
    this.peer = new Identity[world];
    this.peerValue = new String[world];
    this.peerChanged = new long[world];
    try (Milliseconds t = new Milliseconds(Math.max(3000, 3 * intervalMs))) {
      store.setTimeout(t);
    }
  }

  /** Publishes this rank's identity and first heartbeat, reads every peer's, starts the thread. */
  void start(long rendezvousMs) {
    synchronized (storeLock) {
      store.set(
          hbKey(rank), encode()); // before the info key: peers read heartbeats once infos exist
      store.set(PREFIX + "info/" + rank, new Identity(host, pid).encode());
      String[] keys = new String[world];
      for (int r = 0; r < world; r++) {
        keys[r] = PREFIX + "info/" + r;
      }
      try (StringVector k = new StringVector(keys);
          Milliseconds t = new Milliseconds(rendezvousMs)) {
        store._wait(k, t);
      }
      long now = System.nanoTime();
      for (int r = 0; r < world; r++) {
        peer[r] = Identity.parse(store.get_to_str(PREFIX + "info/" + r));
        peerChanged[r] = now;
      }
    }
    thread = new Thread(this::loop, "jsora-peer-monitor");
    thread.setDaemon(true);
    thread.start();
    shutdownHook =
        new Thread(
            () -> {
              if (!stopped && "run".equals(state)) {
                InFlight f = inFlight;
                publish("exit", f == null ? "" : "while in " + f.op + " on group " + f.group);
              }
            },
            "jsora-peer-monitor-exit");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Registers the start of a collective; throws if a peer is already known to have failed. */
  long enter(String group, String op) {
    Fault f = fault;
    if (f != null) {
      throw new DistributedException(
          "rank " + rank + ": cannot run " + op + " on group " + group + ": " + f.message,
          f.rank,
          null);
    }
    long seq = seqs.merge(group, 1L, Long::sum);
    inFlight = new InFlight(group, op, seq, System.nanoTime());
    return seq;
  }

  /** Registers the end of the current collective. */
  void leave() {
    inFlight = null;
  }

  /**
   * Explains a failed collective: finds the rank at fault, publishes this rank's failure for the
   * others, and returns the exception to throw.
   */
  DistributedException failure(
      String group, int[] groupRanks, String op, long seq, RuntimeException cause) {
    inFlight = null;
    Fault f = findFault(group, groupRanks, seq);
    String msg =
        "rank "
            + rank
            + ": "
            + op
            + " #"
            + seq
            + " on group "
            + group
            + " failed: "
            + f.message
            + " [libtorch: "
            + firstLine(cause)
            + "]";
    publish("fail", op + " on group " + group + " failed because " + f.message);
    if (fault == null) {
      fault = new Fault(f.rank, f.message, System.nanoTime());
    }
    lingerIfStoreHost();
    return new DistributedException(msg, f.rank, cause);
  }

  /** Tells the peers this rank failed for its own reason ({@code why}); they stop too. */
  void reportOwnFailure(String why) {
    publish("fail", why);
    lingerIfStoreHost();
  }

  /**
   * Rank 0 serves the store: if it exited right after publishing its failure, the peers would only
   * see the store vanish. It waits three heartbeat intervals so they can read why.
   */
  private void lingerIfStoreHost() {
    if (rank == 0) {
      try {
        Thread.sleep(3 * intervalMs + 200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Marks this rank as finished normally: peers no longer expect its heartbeat. */
  void markDone() {
    publish("done", "");
  }

  /** The peer failure recorded so far, or null. */
  Fault fault() {
    return fault;
  }

  long intervalMs() {
    return intervalMs;
  }

  @Override
  public void close() {
    stopped = true;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway; it checks 'stopped'
      }
    }
    store.close();
  }

  // ---------------------------------------------------------------------------------------------

  private Fault findFault(String group, int[] groupRanks, long seq) {
    long deadline =
        System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(Math.min(timeoutMs, 3 * intervalMs + 500));
    while (true) {
      tick(); // read the peers' latest states now rather than at the next heartbeat
      Fault f = fault;
      if (f != null) {
        return f;
      }
      for (int r : groupRanks) {
        if (r != rank && host.equals(peer[r].host()) && !alive(peer[r].pid())) {
          return new Fault(
              r,
              "rank " + r + " died (its process " + peer[r].pid() + " on this host is gone)",
              System.nanoTime());
        }
      }
      if (System.nanoTime() > deadline) {
        break;
      }
      try {
        Thread.sleep(Math.max(20, intervalMs / 4));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    StringBuilder behind = new StringBuilder();
    int culprit = -1;
    for (int r : groupRanks) {
      Heartbeat v = Heartbeat.parse(peerValue[r]);
      long theirs = v.entered(group);
      if (r != rank && theirs < seq) {
        culprit = culprit < 0 ? r : culprit;
        behind
            .append(behind.length() == 0 ? "" : "; ")
            .append("rank ")
            .append(r)
            .append(" has not entered it (it is at #")
            .append(theirs)
            .append(" on this group")
            .append(v.note().isEmpty() ? "" : ", " + v.note())
            .append(')');
      }
    }
    if (culprit >= 0) {
      return new Fault(
          culprit,
          behind
              + ": it is stuck or slower than the collective timeout ("
              + timeoutMs / 1000.0
              + " s)",
          System.nanoTime());
    }
    return new Fault(
        -1,
        "no single rank of group " + group + " " + Arrays.toString(groupRanks) + " could be blamed",
        System.nanoTime());
  }

  private void loop() {
    while (!stopped) {
      tick();
      watchdog();
      try {
        Thread.sleep(intervalMs);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void tick() {
    synchronized (storeLock) {
      if (stopped || storeLost) {
        return;
      }
      try {
        store.set(hbKey(rank), encode());
        long now = System.nanoTime();
        for (int r = 0; r < world; r++) {
          if (r == rank) {
            continue;
          }
          String v = store.get_to_str(hbKey(r));
          if (!v.equals(peerValue[r])) {
            peerValue[r] = v;
            peerChanged[r] = now;
          }
          Heartbeat p = Heartbeat.parse(v);
          switch (p.state()) {
            case "exit" ->
                recordFault(
                    r,
                    "rank "
                        + r
                        + " exited before the job finished"
                        + (p.note().isEmpty() ? "" : " (" + p.note() + ")"));
            case "fail" -> recordFault(r, "rank " + r + " failed: " + p.note());
            case "run" -> {
              long quiet = TimeUnit.NANOSECONDS.toMillis(now - peerChanged[r]);
              if (quiet > timeoutMs) {
                recordFault(
                    r,
                    "rank "
                        + r
                        + " has sent no heartbeat for "
                        + quiet / 1000
                        + " s (process or machine hung)");
              }
            }
            default -> {}
          }
        }
      } catch (RuntimeException e) {
        storeLost = true; // stop polling: every further call would fail (and libtorch logs each)
        if (!stopped && rank != 0) {
          recordFault(
              0,
              "rank 0 is unreachable: the rendezvous store it serves stopped answering ("
                  + firstLine(e)
                  + ")");
        } else if (!stopped) {
          log.warn("rank 0: heartbeat store error: {}", firstLine(e));
        }
      }
    }
  }

  private void watchdog() {
    if (stopped || exiting) {
      return;
    }
    long now = System.nanoTime();
    InFlight f = inFlight;
    long margin = Math.max(2000, timeoutMs / 4);
    if (f != null && TimeUnit.NANOSECONDS.toMillis(now - f.startNanos) > timeoutMs + margin) {
      Fault fl = fault;
      exit(
          "rank "
              + rank
              + ": "
              + f.op
              + " #"
              + f.seq
              + " on group "
              + f.group
              + " is still waiting "
              + TimeUnit.NANOSECONDS.toSeconds(now - f.startNanos)
              + " s after it began (timeout "
              + timeoutMs / 1000.0
              + " s)"
              + (fl == null ? "" : ": " + fl.message)
              + "; stopping this process");
      return;
    }
    Fault fl = fault;
    if (fl != null && f == null && TimeUnit.NANOSECONDS.toMillis(now - fl.seenNanos) > timeoutMs) {
      exit("rank " + rank + ": stopping because " + fl.message);
    }
  }

  private void recordFault(int r, String message) {
    if (fault == null) {
      fault = new Fault(r, message, System.nanoTime());
      log.debug("rank {}: {}", rank, message);
    }
  }

  private void exit(String message) {
    exiting = true;
    publish("fail", message);
    PrintStream err = System.err;
    err.println("jsora: " + message);
    err.flush();
    log.error(message);
    exiter.accept(DistributedException.EXIT_STATUS);
  }

  private void publish(String newState, String newNote) {
    if (!"run".equals(state) && !"done".equals(newState)) {
      return; // the first failure stays the one peers see
    }
    state = newState;
    note = newNote.replace('\n', ' ');
    if (storeLost) {
      return;
    }
    synchronized (storeLock) {
      try {
        store.set(hbKey(rank), encode());
      } catch (RuntimeException e) {
        log.debug("rank {}: cannot publish state {}: {}", rank, newState, firstLine(e));
      }
    }
  }

  /** This rank's next heartbeat, encoded for the store. */
  private String encode() {
    InFlight f = inFlight;
    String said =
        note.isEmpty() && f != null && "run".equals(state)
            ? "last seen in " + f.op + " on group " + f.group
            : note;
    return new Heartbeat(++beat, state, new TreeMap<>(seqs), said).encode();
  }

  private static String hbKey(int r) {
    return PREFIX + "hb/" + r;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    m = m.strip();
    int nl = m.indexOf('\n');
    m = nl < 0 ? m : m.substring(0, nl);
    // libtorch prefixes messages with the C++ source location "[/long/path/file.cc:123] "
    if (m.startsWith("[") && m.indexOf("] ") > 0) {
      m = m.substring(m.indexOf("] ") + 2);
    }
    return m;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT).replace(' ', '_');
    } catch (Exception e) {
      return "localhost";
    }
  }
}
