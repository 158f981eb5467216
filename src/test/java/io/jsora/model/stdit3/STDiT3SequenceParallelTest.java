package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.parallel.Workers;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * STDiT3 with its spatial tokens split over 2 ranks (Ulysses and FastSeq spatial attention,
 * temporal attention and cross-attention local, gathered before the final layer) equals the same
 * model in one process, for a token count that divides and one that needs padding.
 */
class STDiT3SequenceParallelTest {
  /** Max |SP − one process| relative to the output's largest magnitude (float32 round-off). */
  static final double TOL = 1e-5;

  @Test
  @Timeout(150)
  void twoRanksEqualOneProcess(@TempDir Path dir) throws Exception {
    Workers.Result r =
        Workers.launch(2, STDiT3SpWorker.class, Duration.ofSeconds(140), dir.toString());
    assertEquals(0, r.status(), r.all());
    ObjectMapper json = new ObjectMapper();
    for (int rank = 0; rank < 2; rank++) {
      JsonNode cmps = json.readTree(dir.resolve("rank" + rank + ".json").toFile());
      assertEquals(4, cmps.size(), cmps.toString());
      for (JsonNode c : cmps) {
        double diff = c.path("diff").asDouble();
        double scale = c.path("scale").asDouble();
        System.out.printf(
            "rank %d %s: max |sp - ref| %.3g (max |ref| %.3g)%n",
            rank, c.path("name").asText(), diff, scale);
        assertTrue(scale > 1 && diff <= TOL * scale, "rank " + rank + " " + c);
      }
    }
  }
}
