package io.jsora.parallel;

import java.util.Map;

/**
 * Where this process sits in a distributed job, read from the environment an outside launcher set:
 * {@code jsora launch} and torchrun ({@code RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE MASTER_ADDR
 * MASTER_PORT}), Kubernetes training operators (the same names, one process per pod), SLURM ({@code
 * SLURM_PROCID SLURM_NTASKS SLURM_LOCALID}) and Open MPI ({@code OMPI_COMM_WORLD_RANK ...}), in
 * that order of precedence. No variables at all means a single process.
 *
 * @param rank global rank, 0 ≤ rank < worldSize
 * @param worldSize number of processes in the job
 * @param localRank rank among the processes of this node (selects the GPU)
 * @param localWorldSize processes on this node
 * @param masterAddr host of rank 0, which serves the rendezvous store
 * @param masterPort port of the rendezvous store
 * @param source which launcher the values came from, for logs ({@code torchrun}, {@code slurm},
 *     {@code mpi}, {@code single})
 * @param glooInterface the network interface Gloo binds to ({@code GLOO_SOCKET_IFNAME}, as in
 *     PyTorch; the first of a comma-separated list), or null to choose from {@code masterAddr}
 */
public record DistEnv(
    int rank,
    int worldSize,
    int localRank,
    int localWorldSize,
    String masterAddr,
    int masterPort,
    String source,
    String glooInterface) {

  /** torchrun's default rendezvous port, used when a launcher sets no {@code MASTER_PORT}. */
  public static final int DEFAULT_PORT = 29500;

  public DistEnv {
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size must be >= 1, found " + worldSize);
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException(
          "rank " + rank + " is outside the world of size " + worldSize);
    }
    if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
      throw new IllegalArgumentException(
          "local rank "
              + localRank
              + " is outside the "
              + localWorldSize
              + " processes of this node");
    }
    if (masterPort < 1 || masterPort > 65535) {
      throw new IllegalArgumentException("MASTER_PORT must be 1..65535, found " + masterPort);
    }
  }

  /** A job position without a Gloo interface setting. */
  public DistEnv(
      int rank,
      int worldSize,
      int localRank,
      int localWorldSize,
      String masterAddr,
      int masterPort,
      String source) {
    this(rank, worldSize, localRank, localWorldSize, masterAddr, masterPort, source, null);
  }

  /** A single process: rank 0 of 1; needs no store and no process group. */
  public static DistEnv single() {
    return new DistEnv(0, 1, 0, 1, "127.0.0.1", DEFAULT_PORT, "single");
  }

  /** Whether this is a one-process job (every collective is a no-op). */
  public boolean isSingle() {
    return worldSize == 1;
  }

  /**
   * Reads the environment {@code env} (pass {@code System.getenv()}).
   *
   * @throws IllegalArgumentException when variables are present but inconsistent or malformed; the
   *     message names the variable and its value
   */
  public static DistEnv parse(Map<String, String> env) {
    DistEnv launch = parseLaunch(env);
    String ifname = env.get("GLOO_SOCKET_IFNAME");
    if (ifname == null || ifname.isBlank()) {
      return launch;
    }
    return new DistEnv(
        launch.rank,
        launch.worldSize,
        launch.localRank,
        launch.localWorldSize,
        launch.masterAddr,
        launch.masterPort,
        launch.source,
        ifname.split(",")[0].trim());
  }

  private static DistEnv parseLaunch(Map<String, String> env) {
    if (env.containsKey("RANK") || env.containsKey("WORLD_SIZE")) {
      int world = intVar(env, "WORLD_SIZE", -1);
      int rank = intVar(env, "RANK", -1);
      if (world < 0 || rank < 0) {
        throw new IllegalArgumentException(
            "RANK and WORLD_SIZE must be set together (found RANK="
                + env.get("RANK")
                + ", WORLD_SIZE="
                + env.get("WORLD_SIZE")
                + ")");
      }
      int localRank = intVar(env, "LOCAL_RANK", world == 1 ? 0 : -1);
      int localWorld = intVar(env, "LOCAL_WORLD_SIZE", -1);
      if (localRank < 0) {
        // one process per pod/container (Kubernetes operators set no LOCAL_RANK)
        localRank = 0;
        localWorld = localWorld < 0 ? 1 : localWorld;
      }
      if (localWorld < 0) {
        localWorld = localRank + 1;
      }
      return new DistEnv(
          rank,
          world,
          localRank,
          localWorld,
          addr(env, world, localWorld, "torchrun"),
          port(env),
          "torchrun");
    }
    if (env.containsKey("SLURM_PROCID") && env.containsKey("SLURM_NTASKS")) {
      int rank = intVar(env, "SLURM_PROCID", 0);
      int world = intVar(env, "SLURM_NTASKS", 1);
      int localRank = intVar(env, "SLURM_LOCALID", 0);
      int localWorld = slurmTasksOnNode(env, localRank);
      return new DistEnv(
          rank,
          world,
          localRank,
          localWorld,
          addr(env, world, localWorld, "slurm"),
          port(env),
          "slurm");
    }
    if (env.containsKey("OMPI_COMM_WORLD_RANK") && env.containsKey("OMPI_COMM_WORLD_SIZE")) {
      int rank = intVar(env, "OMPI_COMM_WORLD_RANK", 0);
      int world = intVar(env, "OMPI_COMM_WORLD_SIZE", 1);
      int localRank = intVar(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0);
      int localWorld = intVar(env, "OMPI_COMM_WORLD_LOCAL_SIZE", localRank + 1);
      return new DistEnv(
          rank,
          world,
          localRank,
          localWorld,
          addr(env, world, localWorld, "mpi"),
          port(env),
          "mpi");
    }
    return single();
  }

  /** The variables a worker of this job sees, as {@code jsora launch} and torchrun set them. */
  public Map<String, String> toEnvironment() {
    return Map.of(
        "RANK", Integer.toString(rank),
        "WORLD_SIZE", Integer.toString(worldSize),
        "LOCAL_RANK", Integer.toString(localRank),
        "LOCAL_WORLD_SIZE", Integer.toString(localWorldSize),
        "MASTER_ADDR", masterAddr,
        "MASTER_PORT", Integer.toString(masterPort));
  }

  private static String addr(Map<String, String> env, int world, int localWorld, String launcher) {
    String a = env.get("MASTER_ADDR");
    if (a != null && !a.isBlank()) {
      return a.trim();
    }
    boolean oneNode =
        world == localWorld
            || "1".equals(env.get("SLURM_JOB_NUM_NODES"))
            || "1".equals(env.get("SLURM_NNODES"));
    if (oneNode) {
      return "127.0.0.1";
    }
    throw new IllegalArgumentException(
        "MASTER_ADDR is not set: with "
            + world
            + " processes from "
            + launcher
            + " on several nodes, rank 0's host must be given, e.g. under SLURM: "
            + "export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)");
  }

  private static int port(Map<String, String> env) {
    return intVar(env, "MASTER_PORT", DEFAULT_PORT);
  }

  /** SLURM_TASKS_PER_NODE looks like {@code 4(x2),3}; without it, fall back to LOCALID + 1. */
  private static int slurmTasksOnNode(Map<String, String> env, int localRank) {
    String n = env.get("SLURM_NTASKS_PER_NODE");
    if (n != null && n.matches("\\d+")) {
      return Integer.parseInt(n);
    }
    String t = env.get("SLURM_TASKS_PER_NODE");
    int node = intVar(env, "SLURM_NODEID", 0);
    if (t != null && !t.isBlank()) {
      int seen = 0;
      for (String part : t.split(",")) {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("(\\d+)(?:\\(x(\\d+)\\))?").matcher(part.trim());
        if (!m.matches()) {
          break;
        }
        int tasks = Integer.parseInt(m.group(1));
        int repeat = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
        if (node < seen + repeat) {
          return Math.max(tasks, localRank + 1);
        }
        seen += repeat;
      }
    }
    return localRank + 1;
  }

  private static int intVar(Map<String, String> env, String name, int fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, found '" + v + "'", e);
    }
  }
}
