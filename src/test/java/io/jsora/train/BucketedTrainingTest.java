package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.Batch;
import io.jsora.data.BucketPlan;
import io.jsora.data.Loader;
import io.jsora.data.bucket.BucketBatchSampler;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.video.DecodeOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training with resolution buckets on videos of two sizes and lengths ({@link BucketFixtures}):
 * batches of their bucket's shape and batch size, mixed shapes in one run, a finite loss, an
 * interrupted and resumed run equal to an uninterrupted one, and the settings that can never fill a
 * batch refused before the first step.
 */
class BucketedTrainingTest {
  @TempDir static Path shared;
  static Path dataset;
  static Path model;

  @BeforeAll
  static void data() throws IOException {
    dataset = BucketFixtures.dataset(shared);
    model = BucketFixtures.modelConfig(shared);
  }

  /** (T, H, W) a clip of {@code file} may be brought to, by the fixture's construction. */
  private static Set<String> allowed(String file) {
    return file.startsWith("small/")
        ? Set.of("[4, 192, 192]")
        : Set.of("[2, 320, 320]", "[2, 192, 192]");
  }

  @Test
  void loaderHandsOutEachBucketsShapeAndBatchSize() throws IOException {
    BucketConfig buckets = BucketConfig.parse(BucketFixtures.BUCKETS, "test");
    Set<String> seen = new TreeSet<>();
    int batches = 0;
    try (Device cpu = Devices.cpu();
        ArrowVideoDataset ds = ArrowVideoDataset.open(dataset, null)) {
      long[][] keys = Loader.shapeKeys(ds, DecodeOptions.NATIVE, null);
      BucketPlan plan = new BucketPlan(buckets, BucketPlan.shapes(keys), 1, 7, 0, 1);
      plan.setEpoch(0);
      Loader.Options o =
          Loader.Options.defaults(cpu).withThreads(1, 2).withBuckets(7, 1, new int[] {1, 16, 16});
      try (Loader<BucketBatchSampler.Position> loader = new Loader<>(ds, plan, o)) {
        for (Batch next; (next = loader.next()) != null; ) {
          try (Batch b = next;
              PointerScope scope = new PointerScope()) {
            batches++;
            long[] s = Shapes.of(b.video()); // (B, 3, T, H, W)
            assertEquals(2, s[0], "every bucket's batch size is 2");
            assertEquals(3, s[1]);
            String thw = Arrays.toString(new long[] {s[2], s[3], s[4]});
            for (String f : b.files()) {
              assertTrue(allowed(f).contains(thw), f + " in a batch of " + thw);
            }
            seen.add(thw);
            double lo = b.video().min().item_double();
            double hi = b.video().max().item_double();
            assertTrue(
                lo >= -0.5 && hi <= 0.5 && hi > lo, "pixels in [-0.5, 0.5]: " + lo + ".." + hi);
          }
        }
        assertTrue(loader.dropped().isEmpty(), loader.dropped().toString());
      }
      assertEquals(plan.batchesPerEpoch(), batches);
    }
    assertEquals(Set.of("[2, 192, 192]", "[2, 320, 320]", "[4, 192, 192]"), seen);
  }

  /** Records each step's metrics. */
  static final class Steps implements TrainListener {
    final List<StepMetrics> all = new ArrayList<>();

    @Override
    public void onStep(StepMetrics m) {
      all.add(m);
    }
  }

  static void assertSameTensors(Path a, Path b) throws IOException {
    try (StateDict x = SafetensorsFile.read(a);
        StateDict y = SafetensorsFile.read(b)) {
      assertEquals(x.names(), y.names());
      for (String n : x.names()) {
        Tensor p = x.get(n);
        Tensor q = y.get(n);
        assertTrue(p.equal(q), n + " differs between " + a + " and " + b);
      }
    }
  }

  @Test
  void mixedShapesTrainAndAResumedRunEqualsAStraightOne(@TempDir Path dir) throws IOException {
    TrainConfig cfg =
        BucketFixtures.config(dataset, model, dir.resolve("straight"), 8).toBuilder()
            .saveInterval(3)
            .build();
    Steps steps = new Steps();
    Trainer.Result straight;
    try (Trainer t = new Trainer(cfg)) {
      t.listen(steps);
      straight = t.run();
    }
    assertEquals(8, straight.steps());
    // tokens of a step: 2 samples x T x (H/16) x (W/16), one value per bucket
    Set<Long> tokens = new TreeSet<>();
    for (TrainListener.StepMetrics m : steps.all) {
      assertTrue(Double.isFinite(m.loss()), "step " + m.step() + " loss " + m.loss());
      assertEquals(2, m.samples());
      tokens.add(m.tokens());
    }
    assertTrue(Set.of(2L * 2 * 144, 2L * 2 * 400, 2L * 4 * 144).containsAll(tokens), "" + tokens);
    assertTrue(tokens.size() >= 2, "one run trains several shapes: " + tokens);
    assertTrue(steps.all.get(7).epoch() >= 1, "the run crosses an epoch: " + steps.all.get(7));

    TrainConfig broken = cfg.toBuilder().checkpointDir(dir.resolve("broken").toString()).build();
    try (Trainer t = new Trainer(broken)) {
      t.listen(new TrainerTest.CrashAfter(3));
      assertThrows(IllegalStateException.class, t::run);
    }
    String state = Files.readString(dir.resolve("broken/step-0000003/state.json"));
    com.fasterxml.jackson.databind.JsonNode data = new ObjectMapper().readTree(state).path("data");
    assertEquals(3, data.path("position").asInt(), state);
    assertEquals(1, data.path("world").asInt(), state);
    assertTrue(data.path("buckets").has("240p"), state);
    Trainer.Result resumed;
    try (Trainer t = new Trainer(broken.toBuilder().resume(ResumeSpec.AUTO).build())) {
      resumed = t.run();
    }
    assertEquals(8, resumed.steps());
    assertEquals(straight.lastLoss(), resumed.lastLoss(), 0.0, "same last loss");
    for (String f :
        new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA, CheckpointLayout.OPTIMIZER}) {
      assertSameTensors(straight.lastCheckpoint().resolve(f), resumed.lastCheckpoint().resolve(f));
    }
  }

  private static String refusal(TrainConfig cfg) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> {
              try (Trainer t = new Trainer(cfg)) {
                t.run();
              }
            });
    assertFalse(
        Files.exists(Path.of(cfg.checkpointDir()).resolve("step-0000001")), "nothing trained");
    return e.getMessage();
  }

  @Test
  void bucketsThatNeverFillABatchAreRefusedBeforeTraining(@TempDir Path dir) throws IOException {
    TrainConfig base = BucketFixtures.config(dataset, model, dir.resolve("run"), 2);
    // no clip has the pixels of 480p
    String none =
        refusal(
            base.toBuilder()
                .bucketConfig(BucketConfig.parse("{'480p': {2: (1.0, 2)}}", "test"))
                .build());
    assertTrue(
        none.startsWith("bucket_config:") && none.contains("none of the 12 samples fits"), none);
    // only the 4 small clips are long enough for 4 frames, and the bucket wants 5 per batch
    String tooBig =
        refusal(
            base.toBuilder()
                .bucketConfig(BucketConfig.parse("{'144p': {4: (1.0, 5)}}", "test"))
                .build());
    assertTrue(
        tooBig.startsWith("bucket_config:")
            && tooBig.contains("(144p, 4, 1.00): 4 samples for batch size 5"),
        tooBig);
    // cached latents have one size each: bucketing needs the videos
    Path cached = TrainFixtures.dataset(dir.resolve("cached"), 4, 4, 3);
    String latents = refusal(base.toBuilder().dataset(List.of(cached.toString())).build());
    assertTrue(latents.startsWith("bucket_config:") && latents.contains("caches latents"), latents);
  }

  @Test
  void aBucketTooSmallForItsBatchIsNamed(@TempDir Path dir) throws IOException {
    BucketConfig buckets = BucketConfig.parse("{'144p': {4: (1.0, 2), 2: (1.0, 9)}}", "test");
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(dataset, null)) {
      long[][] keys = Loader.shapeKeys(ds, DecodeOptions.NATIVE, null);
      BucketPlan plan = new BucketPlan(buckets, BucketPlan.shapes(keys), 1, 7, 0, 1);
      assertEquals(
          List.of("bucket (144p, 2, 1.00) holds 8 sample(s), fewer than its batch size 9"),
          plan.starved(BucketPlan.shapes(keys)));
      assertEquals(2, plan.batchesPerEpoch(), "the 4-frame bucket's 2 batches only");
      assertNotNull(plan.nextBatch());
    }
  }
}
