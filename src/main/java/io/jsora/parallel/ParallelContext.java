package io.jsora.parallel;

import io.jsora.tensor.Natives;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distributed job as seen by one process: its rank, the 2-D mesh of data-parallel (DP) ×
 * sequence-parallel (SP) ranks, and the process groups to communicate over.
 *
 * <h2>Mesh</h2>
 *
 * With world size W and SP size P (W divisible by P), global rank {@code r} has {@code spRank = r %
 * P} and {@code dpRank = r / P}. An SP group is P contiguous ranks ({@code [dpRank·P, dpRank·P +
 * P)}): they work on the same samples, each holding a slice of the sequence, and communicate most
 * (keep them on one node). A DP group is the W/P ranks with the same SP index ({@code spRank,
 * spRank + P, ...}). The data is sharded by {@link #dpRank()} over {@link #dpSize()} shards.
 *
 * <h2>Creation</h2>
 *
 * {@link #create} rendezvouses through a {@code TCPStore} that rank 0 serves at {@code
 * MASTER_ADDR:MASTER_PORT}, then builds one process group per group this rank belongs to, each over
 * its own {@code PrefixStore} ({@code world}, {@code dp/<spRank>}, {@code sp/<dpRank>}): Gloo for
 * CPU tensors, NCCL for CUDA. A group whose members equal the world's reuses the world's backend.
 * World size 1 creates no store and no group: every collective is a no-op.
 *
 * <h2>Failures</h2>
 *
 * A {@link PeerMonitor} exchanges heartbeats through the store. A rank that dies, fails or hangs
 * makes every other rank's next (or current) collective throw a {@link DistributedException} naming
 * it, within the collective timeout; a process that does not stop by itself within another timeout
 * is ended by the watchdog with exit status {@value DistributedException#EXIT_STATUS}. Call {@link
 * #abort} from the error path so peers learn why, and {@link #close} at the end of a successful run
 * (it waits for every rank, so rank 0's store outlives its users).
 */
public final class ParallelContext implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ParallelContext.class);

  private final DistEnv env;
  private final ParallelOptions options;
  private final Group world;
  private final Group dp;
  private final Group sp;
  private final TCPStore store;
  private final PeerMonitor monitor;
  private final List<Backend> backends;
  private final List<Store> prefixStores;
  private final boolean cuda;
  private boolean closed;

  private ParallelContext(
      DistEnv env,
      ParallelOptions options,
      Group world,
      Group dp,
      Group sp,
      TCPStore store,
      PeerMonitor monitor,
      List<Backend> backends,
      List<Store> prefixStores,
      boolean cuda) {
    this.env = env;
    this.options = options;
    this.world = world;
    this.dp = dp;
    this.sp = sp;
    this.store = store;
    this.monitor = monitor;
    this.backends = backends;
    this.prefixStores = prefixStores;
    this.cuda = cuda;
  }

  /** A one-process job: rank 0 of 1, no store, no groups, every collective a no-op. */
  public static ParallelContext single() {
    return new ParallelContext(
        DistEnv.single(),
        ParallelOptions.defaults(),
        Group.solo("world", 0),
        Group.solo("dp", 0),
        Group.solo("sp", 0),
        null,
        null,
        List.of(),
        List.of(),
        false);
  }

  /**
   * Joins the job described by {@code env}: rendezvous, heartbeats, process groups.
   *
   * @param cuda whether this rank's tensors live on a CUDA device (selects NCCL under {@code
   *     AUTO}); the caller sets the current device to {@code cuda:localRank} first
   * @throws IllegalArgumentException when the world size is not divisible by the SP size, or NCCL
   *     is asked for CPU tensors
   * @throws DistributedException when the rendezvous fails (a rank never came, the port is taken)
   */
  public static ParallelContext create(DistEnv env, ParallelOptions options, boolean cuda) {
    int w = env.worldSize();
    int p = options.spSize();
    if (w % p != 0) {
      throw new IllegalArgumentException("world size " + w + " is not divisible by --sp-size " + p);
    }
    boolean nccl =
        switch (options.backend()) {
          case AUTO -> cuda;
          case NCCL -> true;
          case GLOO -> false;
        };
    if (nccl && !cuda) {
      throw new IllegalArgumentException(
          "the NCCL backend needs CUDA tensors; use --device cuda or the Gloo backend");
    }
    if (env.isSingle()) {
      return single();
    }
    Natives.load();
    long timeoutMs = options.timeout().toMillis();
    long rendezvousMs = options.rendezvousTimeout().toMillis();
    int rank = env.rank();
    TCPStore store = null;
    PeerMonitor monitor = null;
    List<Backend> backends = new ArrayList<>();
    List<Store> prefixStores = new ArrayList<>();
    String stage = "connecting to the rendezvous store";
    try {
      store = openStore(env, rendezvousMs);
      stage = "exchanging heartbeats";
      monitor = new PeerMonitor(store.clone(), rank, w, timeoutMs, ParallelContext::exitProcess);
      monitor.start(rendezvousMs);
      stage = "creating the process groups";
      int spRank = rank % p;
      int dpRank = rank / p;
      int dpSize = w / p;
      GlooDeviceVector devices = nccl ? null : glooDevices(env);
      int[] all = range(0, w, 1);
      Backend worldBackend =
          backend(
              store,
              "world",
              rank,
              w,
              timeoutMs,
              rendezvousMs,
              nccl,
              devices,
              backends,
              prefixStores);
      Group world = new Group("world", all, rank, worldBackend, monitor, cuda);
      Group dp;
      Group sp;
      if (p == 1) {
        dp = new Group("dp", all, rank, worldBackend, monitor, cuda);
        sp = Group.solo("sp", rank);
      } else if (dpSize == 1) {
        dp = Group.solo("dp", rank);
        sp = new Group("sp", all, rank, worldBackend, monitor, cuda);
      } else {
        int[] dpRanks = range(spRank, w, p);
        int[] spRanks = range(dpRank * p, dpRank * p + p, 1);
        dp =
            new Group(
                "dp",
                dpRanks,
                dpRank,
                backend(
                    store,
                    "dp/" + spRank,
                    dpRank,
                    dpSize,
                    timeoutMs,
                    rendezvousMs,
                    nccl,
                    devices,
                    backends,
                    prefixStores),
                monitor,
                cuda);
        sp =
            new Group(
                "sp",
                spRanks,
                spRank,
                backend(
                    store,
                    "sp/" + dpRank,
                    spRank,
                    p,
                    timeoutMs,
                    rendezvousMs,
                    nccl,
                    devices,
                    backends,
                    prefixStores),
                monitor,
                cuda);
      }
      if (devices != null) {
        devices.close();
      }
      stage = "the first barrier";
      world.barrier();
      log.debug(
          "rank {}/{}: dp {}/{} {}, sp {}/{} {}, backend {}",
          rank,
          w,
          dpRank,
          dpSize,
          dp,
          spRank,
          p,
          sp,
          nccl ? "nccl" : "gloo");
      return new ParallelContext(
          env, options, world, dp, sp, store, monitor, backends, prefixStores, cuda);
    } catch (RuntimeException e) {
      if (monitor != null) {
        monitor.close();
      }
      if (e instanceof DistributedException d) {
        throw d;
      }
      throw new DistributedException(
          "rank "
              + rank
              + " of "
              + w
              + ": rendezvous at "
              + env.masterAddr()
              + ":"
              + env.masterPort()
              + " failed while "
              + stage
              + " (timeout "
              + rendezvousMs / 1000.0
              + " s): "
              + PeerMonitor.firstLine(e)
              + (rank == 0 && stage.startsWith("connecting")
                  ? " (is the port already in use?)"
                  : ""),
          -1,
          e);
    }
  }

  public DistEnv env() {
    return env;
  }

  public ParallelOptions options() {
    return options;
  }

  /** Global rank. */
  public int rank() {
    return env.rank();
  }

  public int worldSize() {
    return env.worldSize();
  }

  /** Rank on this node: the CUDA device index to use. */
  public int localRank() {
    return env.localRank();
  }

  /** Whether this is rank 0: the one that writes checkpoints and info logs. */
  public boolean isMain() {
    return env.rank() == 0;
  }

  /** Index of this rank's data shard. */
  public int dpRank() {
    return env.rank() / options.spSize();
  }

  /** Number of data shards (world / SP size). */
  public int dpSize() {
    return env.worldSize() / options.spSize();
  }

  /** Position of this rank in its sequence-parallel group: which slice of the sequence it holds. */
  public int spRank() {
    return env.rank() % options.spSize();
  }

  public int spSize() {
    return options.spSize();
  }

  /** All ranks. */
  public Group world() {
    return world;
  }

  /** The ranks holding the same sequence slice of different samples. */
  public Group dp() {
    return dp;
  }

  /** The ranks sharing this rank's samples, each with a slice of the sequence. */
  public Group sp() {
    return sp;
  }

  /** Whether collectives run on CUDA tensors (NCCL). */
  public boolean cuda() {
    return cuda;
  }

  /**
   * Tells the other ranks this rank is failing because of {@code cause} (so their errors name it
   * and the reason), without waiting for them. Call it from the error path before the process
   * exits; the context is closed without synchronising.
   */
  public void abort(Throwable cause) {
    if (closed || monitor == null) {
      closed = true;
      return;
    }
    monitor.reportOwnFailure(PeerMonitor.firstLine(cause));
    closed = true;
    monitor.close();
  }

  /**
   * Ends the job for this rank: after a successful run, waits for every rank (a barrier), then
   * releases the groups; rank 0 keeps its store alive until every rank has let go of it. After a
   * peer failure it only stops the heartbeats (native handles are left to process exit: tearing
   * down a broken group can block).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (monitor == null) {
      return;
    }
    boolean healthy = monitor.fault() == null;
    if (healthy) {
      try {
        world.barrier();
      } catch (DistributedException e) {
        healthy = false;
        log.warn("{}", e.getMessage());
      }
    }
    if (healthy) {
      monitor.markDone();
    }
    monitor.close();
    if (!healthy) {
      return;
    }
    for (int i = backends.size() - 1; i >= 0; i--) {
      Backend b = backends.get(i);
      if (cuda) {
        NcclBackends.shutdown(b);
      }
      b.close();
    }
    for (int i = prefixStores.size() - 1; i >= 0; i--) {
      prefixStores.get(i).close();
    }
    try {
      store.add("jsora/closed", 1);
      if (env.rank() == 0) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        while (store.add("jsora/closed", 0) < env.worldSize() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
      }
    } catch (RuntimeException e) {
      log.warn("rank {}: closing the store: {}", env.rank(), PeerMonitor.firstLine(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }

  // ---------------------------------------------------------------------------------------------

  private static TCPStore openStore(DistEnv env, long rendezvousMs) {
    try (TCPStoreOptions so = new TCPStoreOptions();
        SizeTPointer workers = new SizeTPointer(1);
        Milliseconds t = new Milliseconds(rendezvousMs)) {
      so.port((short) env.masterPort());
      so.isServer(env.rank() == 0);
      so.numWorkers(workers.put(env.worldSize()));
      so.waitWorkers(true);
      so.timeout(t);
      return new TCPStore(env.masterAddr(), so);
    }
  }

  private static Backend backend(
      Store store,
      String prefix,
      int rank,
      int size,
      long timeoutMs,
      long rendezvousMs,
      boolean nccl,
      GlooDeviceVector devices,
      List<Backend> backends,
      List<Store> prefixStores) {
    // each group gets its own store connection: a Store made from Java passed to C++ becomes owned
    // by the first intrusive pointer made from it (a second one aborts the process, and the store
    // dies with its first holder), while clone() returns a properly shared one
    Store client = store.clone();
    prefixStores.add(client);
    PrefixStore ps = new PrefixStore(prefix, client);
    prefixStores.add(ps);
    Backend b;
    if (nccl) {
      try {
        b = NcclBackends.create(ps, rank, size, timeoutMs);
      } catch (LinkageError e) {
        throw new IllegalStateException(
            "NCCL is not available: this is the CPU build of libtorch (build with ./mvnw -Pcuda package)",
            e);
      }
    } else {
      // connecting the group's full mesh may wait for slow starters: the rendezvous timeout
      // applies to that, the collective timeout to everything after
      try (Milliseconds connect = new Milliseconds(Math.max(rendezvousMs, timeoutMs));
          Milliseconds t = new Milliseconds(timeoutMs)) {
        ProcessGroupGloo.Options o = ProcessGroupGloo.Options.create(connect);
        o.devices(devices);
        ProcessGroupGloo g = new ProcessGroupGloo(ps, rank, size, o);
        g.setTimeout(t);
        b = g;
      }
    }
    backends.add(b);
    return b;
  }

  /**
   * Gloo's network interface: {@link DistEnv#glooInterface()} when set; loopback when rank 0 is on
   * this machine's loopback; else the address this host name resolves to.
   */
  private static GlooDeviceVector glooDevices(DistEnv env) {
    org.bytedeco.pytorch.gloo.Device d;
    if (env.glooInterface() != null) {
      d = ProcessGroupGloo.createDeviceForInterface(env.glooInterface());
    } else if (isLoopback(env.masterAddr())) {
      d = ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
    } else {
      d = ProcessGroupGloo.createDefaultDevice();
    }
    return new GlooDeviceVector(d);
  }

  private static boolean isLoopback(String addr) {
    return addr.equals("localhost") || addr.startsWith("127.") || addr.equals("::1");
  }

  private static int[] range(int from, int to, int step) {
    int[] r = new int[(to - from + step - 1) / step];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i * step;
    }
    return r;
  }

  /** Ends the process from a watchdog thread; halts if shutdown hooks do not finish in 10 s. */
  private static void exitProcess(int status) {
    Thread halt =
        new Thread(
            () -> {
              try {
                TimeUnit.SECONDS.sleep(10);
              } catch (InterruptedException ignored) {
                // halt anyway
              }
              Runtime.getRuntime().halt(status);
            },
            "jsora-halt");
    halt.setDaemon(true);
    halt.start();
    Thread exit = new Thread(() -> System.exit(status), "jsora-exit");
    exit.start();
  }
}
