package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DistEnvTest {
  @Test
  void noVariablesIsASingleProcess() {
    DistEnv e = DistEnv.parse(Map.of("HOME", "/root"));
    assertEquals(DistEnv.single(), e);
    assertTrue(e.isSingle());
  }

  @Test
  void torchrunVariables() {
    DistEnv e =
        DistEnv.parse(
            Map.of(
                "RANK",
                "5",
                "WORLD_SIZE",
                "8",
                "LOCAL_RANK",
                "1",
                "LOCAL_WORLD_SIZE",
                "4",
                "MASTER_ADDR",
                "node0",
                "MASTER_PORT",
                "29511"));
    assertEquals(new DistEnv(5, 8, 1, 4, "node0", 29511, "torchrun"), e);
    assertEquals(
        Map.of(
            "RANK",
            "5",
            "WORLD_SIZE",
            "8",
            "LOCAL_RANK",
            "1",
            "LOCAL_WORLD_SIZE",
            "4",
            "MASTER_ADDR",
            "node0",
            "MASTER_PORT",
            "29511"),
        e.toEnvironment());
  }

  @Test
  void glooInterfaceIsTheFirstOfTheList() {
    DistEnv e =
        DistEnv.parse(
            Map.of(
                "RANK",
                "1",
                "WORLD_SIZE",
                "2",
                "MASTER_ADDR",
                "node0",
                "GLOO_SOCKET_IFNAME",
                " eth1 ,eth0"));
    assertEquals(new DistEnv(1, 2, 0, 1, "node0", DistEnv.DEFAULT_PORT, "torchrun", "eth1"), e);
    assertEquals(null, DistEnv.parse(Map.of("GLOO_SOCKET_IFNAME", " ")).glooInterface());
    assertEquals("lo", DistEnv.parse(Map.of("GLOO_SOCKET_IFNAME", "lo")).glooInterface());
  }

  @Test
  void kubernetesOperatorSetsNoLocalRank() {
    DistEnv e =
        DistEnv.parse(
            Map.of(
                "RANK",
                "2",
                "WORLD_SIZE",
                "4",
                "MASTER_ADDR",
                "job-master-0",
                "MASTER_PORT",
                "23456"));
    assertEquals(new DistEnv(2, 4, 0, 1, "job-master-0", 23456, "torchrun"), e);
  }

  @Test
  void slurmFallback() {
    DistEnv e =
        DistEnv.parse(
            Map.of(
                "SLURM_PROCID",
                "3",
                "SLURM_NTASKS",
                "4",
                "SLURM_LOCALID",
                "1",
                "SLURM_TASKS_PER_NODE",
                "2(x2)",
                "SLURM_NODEID",
                "1",
                "MASTER_ADDR",
                "gpu01"));
    assertEquals(new DistEnv(3, 4, 1, 2, "gpu01", DistEnv.DEFAULT_PORT, "slurm"), e);
    DistEnv one =
        DistEnv.parse(
            Map.of(
                "SLURM_PROCID",
                "1",
                "SLURM_NTASKS",
                "2",
                "SLURM_LOCALID",
                "1",
                "SLURM_NNODES",
                "1"));
    assertEquals("127.0.0.1", one.masterAddr());
    IllegalArgumentException noAddr =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DistEnv.parse(
                    Map.of(
                        "SLURM_PROCID",
                        "1",
                        "SLURM_NTASKS",
                        "8",
                        "SLURM_LOCALID",
                        "1",
                        "SLURM_NNODES",
                        "2")));
    assertTrue(noAddr.getMessage().contains("MASTER_ADDR is not set"), noAddr.getMessage());
  }

  @Test
  void inconsistentValuesAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DistEnv.parse(Map.of("RANK", "4", "WORLD_SIZE", "4", "MASTER_ADDR", "a")));
    assertTrue(e.getMessage().contains("rank 4 is outside the world of size 4"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DistEnv.parse(Map.of("RANK", "x", "WORLD_SIZE", "4")));
    assertTrue(e.getMessage().contains("RANK must be an integer, found 'x'"), e.getMessage());
  }
}
