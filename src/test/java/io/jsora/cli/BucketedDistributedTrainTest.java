package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.parallel.Workers;
import io.jsora.run.TrainConfig;
import io.jsora.train.BucketFixtures;
import io.jsora.train.Trainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bucketed {@code jsora train} on two data-parallel processes ({@code jsora launch}) against one
 * process with two micro-batches per step. The bucket schedule hands step {@code s}'s accesses
 * {@code 2s} and {@code 2s + 1} to ranks 0 and 1 (the reference's {@code
 * VariableVideoBatchSampler}) and to micro-batches 0 and 1 of the single process alike, so both
 * runs see the same batches of the same buckets with the same per-sample noise, and average the
 * same gradients.
 */
class BucketedDistributedTrainTest {
  @Test
  @Timeout(300)
  void twoRanksTakeTheirBucketBatchesInStepAndEqualOneProcessAccumulatingTwo(@TempDir Path dir)
      throws Exception {
    Path dataset = BucketFixtures.dataset(dir);
    Path model = BucketFixtures.modelConfig(dir);
    Path reference = dir.resolve("one");
    TrainConfig one =
        BucketFixtures.config(dataset, model, reference, 2).toBuilder()
            .accumulationSteps(2)
            .saveInterval(1)
            .keepLast(0)
            .build();
    try (Trainer t = new Trainer(one)) {
      assertEquals(2, t.run().steps());
    }
    Path dp = dir.resolve("dp");
    TrainConfig two = one.toBuilder().accumulationSteps(1).checkpointDir(dp.toString()).build();
    Path file = dir.resolve("dp.json");
    new ObjectMapper().writeValue(file.toFile(), two);
    Workers.Result r = DistributedTrainTest.launchLogging(2, "--config", file.toString());
    assertEquals(0, r.status(), r.all());
    assertTrue(r.out().contains("[rank 0] trained 2 steps"), r.out());
    DistributedTrainTest.compareMetrics("bucketed dp 2 vs 1 x 2 micro-batches", dp, reference, 2);
    DistributedTrainTest.compareCheckpoints(
        "bucketed dp 2 vs 1 x 2 micro-batches",
        dp.resolve("step-0000002"),
        reference.resolve("step-0000002"));
    System.out.println(String.join("\n", DistributedTrainTest.report));
    DistributedTrainTest.report.clear();
  }
}
