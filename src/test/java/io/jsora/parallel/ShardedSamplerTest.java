package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardedSamplerTest {
  @Test
  void matchesPytorchDistributedSampler() throws Exception {
    JsonNode root;
    try (InputStream in =
        getClass().getResourceAsStream("/golden/parallel/distributed_sampler.json")) {
      root = new ObjectMapper().readTree(in);
    }
    int n = 0;
    for (JsonNode c : root.get("cases")) {
      ShardedSampler s =
          new ShardedSampler(
              c.get("size").asLong(),
              c.get("rank").asInt(),
              c.get("replicas").asInt(),
              c.get("seed").asLong(),
              c.get("shuffle").asBoolean(),
              c.get("dropLast").asBoolean());
      long[] expected = new long[c.get("indices").size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = c.get("indices").get(i).asLong();
      }
      assertArrayEquals(expected, s.indices(c.get("epoch").asLong()), c.toString());
      n++;
    }
    assertEquals(48, n); // 5 datasets × their replicas × 3 epochs
  }

  @Test
  void replicasCoverTheDatasetDisjointlyAndTheCursorResumes() {
    int replicas = 3;
    Set<Long> seen = new HashSet<>();
    for (int r = 0; r < replicas; r++) {
      for (long i : new ShardedSampler(12, r, replicas, 9, true, false).indices(2)) {
        assertTrue(seen.add(i), "index " + i + " given twice");
      }
    }
    assertEquals(12, seen.size());

    ShardedSampler a = new ShardedSampler(10, 1, 2, 4, true, false);
    long[] first = a.next(7); // crosses from epoch 0 (5 per replica) into epoch 1
    assertEquals(1, a.epoch());
    ShardedSampler b = new ShardedSampler(10, 1, 2, 4, true, false);
    b.seek(a.position());
    assertArrayEquals(a.next(6), b.next(6));
    long[] epoch0 = new ShardedSampler(10, 1, 2, 4, true, false).indices(0);
    assertArrayEquals(epoch0, java.util.Arrays.copyOf(first, 5));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> b.seek(new ShardedSampler.Position(0, 9)));
    assertTrue(e.getMessage().contains("0..5"), e.getMessage());
  }
}
