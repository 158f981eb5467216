package io.jsora.data.bucket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BucketBatchSamplerTest {
  static final String CONFIG =
      """
      {"144p": {"1": [1.0, 4], "51": [1.0, 3], "102": [[0.8, 0.5], 2]},
       "360p": {"1": [0.6, 3], "51": [0.7, 2]},
       "720p": {"1": [0.5, 2], "51": [[0.5, 0.9], 1]}}
      """;

  static List<SampleShape> shapes(int n, long seed) {
    int[][] sizes = {{144, 256}, {256, 144}, {240, 426}, {360, 640}, {480, 480}, {720, 1280}};
    int[] frames = {1, 1, 40, 52, 60, 103, 150};
    Random r = new Random(seed);
    List<SampleShape> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] hw = sizes[r.nextInt(sizes.length)];
      out.add(new SampleShape(frames[r.nextInt(frames.length)], hw[0], hw[1]));
    }
    return out;
  }

  static BucketBatchSampler sampler(boolean dropLast, long seed, int rank, int world) {
    BucketAssigner a = new BucketAssigner(BucketConfig.parse(CONFIG, "test"), 1);
    return new BucketBatchSampler(a, shapes(300, 3), dropLast, seed, rank, world);
  }

  static List<BucketBatchSampler.BucketBatch> epoch(BucketBatchSampler s, int e) {
    s.setEpoch(e);
    return BucketGoldenTest.drain(s);
  }

  @Test
  void aSeedGivesTheSameBatchesAndAnotherSeedOthers() {
    for (int e = 0; e < 3; e++) {
      assertEquals(epoch(sampler(true, 17, 1, 2), e), epoch(sampler(true, 17, 1, 2), e));
    }
    assertNotEquals(epoch(sampler(true, 17, 1, 2), 0), epoch(sampler(true, 18, 1, 2), 0));
    assertNotEquals(epoch(sampler(true, 17, 1, 2), 0), epoch(sampler(true, 17, 1, 2), 1));
  }

  /** Each batch: one bucket, its batch size, rows that are in that bucket; ranks in step. */
  @Test
  void everyRanksBatchesAreOneBucketsAndRanksStayInStep() {
    BucketConfig config = BucketConfig.parse(CONFIG, "test");
    BucketAssigner a = new BucketAssigner(config, 1);
    List<SampleShape> samples = shapes(300, 3);
    for (boolean dropLast : new boolean[] {true, false}) {
      for (int world : new int[] {1, 2, 3, 4}) {
        for (int e = 0; e < 2; e++) {
          List<Optional<BucketId>> ids = a.assignAll(samples, 5, e);
          Set<Long> seen = new HashSet<>();
          int steps = -1;
          for (int rank = 0; rank < world; rank++) {
            BucketBatchSampler s = new BucketBatchSampler(a, samples, dropLast, 5, rank, world);
            List<BucketBatchSampler.BucketBatch> got = epoch(s, e);
            assertEquals(s.batchesPerEpoch(), got.size());
            if (steps >= 0) {
              assertEquals(steps, got.size(), "rank " + rank + " of " + world);
            }
            steps = got.size();
            for (BucketBatchSampler.BucketBatch b : got) {
              assertEquals(
                  config.bucket(b.bucket().resolution(), b.bucket().numFrames()).batchSize(),
                  b.rows().length,
                  b.toString());
              for (long row : b.rows()) {
                assertEquals(Optional.of(b.bucket()), ids.get((int) row), "row " + row);
                if (dropLast) {
                  assertTrue(seen.add(row), "row " + row + " twice in epoch " + e);
                }
              }
            }
          }
          assertTrue(steps > 0);
        }
      }
    }
  }

  /** Stopping anywhere, into the next epochs, and resuming from the position continues alike. */
  @Test
  void resumingFromAPositionEqualsTheUninterruptedRun() {
    for (int world : new int[] {1, 3}) {
      for (int rank = 0; rank < world; rank++) {
        BucketBatchSampler whole = sampler(false, 23, rank, world);
        List<BucketBatchSampler.BucketBatch> expected = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
          expected.addAll(epoch(whole, e));
        }
        for (int stop : new int[] {0, 1, 7, expected.size() / 2, expected.size() - 1}) {
          BucketBatchSampler first = sampler(false, 23, rank, world);
          List<BucketBatchSampler.BucketBatch> got = new ArrayList<>();
          BucketBatchSampler.Position p = run(first, got, stop, null);
          BucketBatchSampler second = sampler(false, 23, rank, world);
          second.restore(p);
          run(second, got, Integer.MAX_VALUE, p);
          assertEquals(expected, got, "world " + world + " rank " + rank + " stop " + stop);
        }
      }
    }
  }

  /** Epochs 0..2 as a training loop reads them, stopping after {@code limit} batches. */
  private static BucketBatchSampler.Position run(
      BucketBatchSampler s,
      List<BucketBatchSampler.BucketBatch> out,
      int limit,
      BucketBatchSampler.Position from) {
    int taken = 0;
    for (int e = from == null ? 0 : from.epoch(); e < 3; e++) {
      if (from == null || e != from.epoch()) {
        s.setEpoch(e);
      }
      for (BucketBatchSampler.BucketBatch b = s.next(); b != null; b = s.next()) {
        out.add(b);
        if (++taken == limit) {
          return s.position();
        }
      }
    }
    return s.position();
  }

  /** A position of 2 ranks resumed on 1 or 4: the step covering the same accesses, rounded down. */
  @Test
  void aPositionMovesToAnotherWorldSizeAtTheSameAccesses() {
    BucketBatchSampler two = sampler(true, 31, 0, 2);
    two.setEpoch(1);
    for (int i = 0; i < 5; i++) {
      two.next();
    }
    BucketBatchSampler.Position p = two.position();
    assertEquals(new BucketBatchSampler.Position(31, 1, 5, 2), p);
    for (int world : new int[] {1, 4}) {
      BucketBatchSampler fresh = sampler(true, 31, 0, world);
      List<BucketBatchSampler.BucketBatch> all = epoch(fresh, 1);
      BucketBatchSampler moved = sampler(true, 31, 0, world);
      moved.restore(p);
      assertEquals(all.subList(10 / world, all.size()), BucketGoldenTest.drain(moved));
    }
  }

  @Test
  void aConfigThatFillsNoBatchIsAnErrorNamingWhy() {
    BucketAssigner a = new BucketAssigner(BucketConfig.parse(CONFIG, "test"), 1);
    List<SampleShape> tiny = List.of(new SampleShape(60, 32, 32), new SampleShape(1, 64, 64));
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class, () -> new BucketBatchSampler(a, tiny, true, 0, 0, 1));
    assertTrue(
        none.getMessage().contains("none of the 2 samples fits a bucket"), none.getMessage());

    // two 144p images, batch size 4: no full batch with drop_last
    List<SampleShape> few = List.of(new SampleShape(1, 144, 256), new SampleShape(1, 144, 256));
    IllegalArgumentException small =
        assertThrows(
            IllegalArgumentException.class, () -> new BucketBatchSampler(a, few, true, 0, 0, 1));
    assertTrue(
        small.getMessage().contains("(144p, 1, 0.56): 2 samples for batch size 4"),
        small.getMessage());
    // padded, the same samples fill one batch
    BucketBatchSampler padded = new BucketBatchSampler(a, few, false, 0, 0, 1);
    assertEquals(1, padded.batchesPerEpoch());
    assertEquals(4, padded.next().rows().length);
    // one batch cannot serve two ranks with drop_last
    List<SampleShape> four = new ArrayList<>(few);
    four.addAll(few);
    assertEquals(1, new BucketBatchSampler(a, four, true, 0, 0, 1).batchesPerEpoch());
    IllegalArgumentException ranks =
        assertThrows(
            IllegalArgumentException.class, () -> new BucketBatchSampler(a, four, true, 0, 1, 2));
    assertTrue(ranks.getMessage().contains("on 2 rank(s) with drop_last"), ranks.getMessage());
  }

  @Test
  void configErrorsNameTheKeyAndWhatWasExpected() {
    assertMessage("{\"145p\": {\"1\": [1.0, 4]}}", "key '145p'", "144p, 256, 240p");
    assertMessage("{\"144p\": {\"x\": [1.0, 4]}}", "['144p']: key 'x'", "number of frames");
    assertMessage("{\"144p\": {\"51\": [1.0]}}", "['144p'][51]", "(keep_prob, batch_size)");
    assertMessage("{\"144p\": {\"51\": [1.0, null]}}", "['144p'][51]", "batch size must be >= 1");
    assertMessage("{\"144p\": {\"51\": [1.5, 2]}}", "['144p'][51]", "[0, 1], got 1.5");
    assertMessage("{\"144p\": {\"51\": [\"a\", 2]}}", "['144p'][51]: keep_prob", "found 'a'");
    assertMessage("{\"144p\": {\"51\": [1.0, 2.5]}}", "['144p'][51]: batch_size", "found 2.5");
    assertMessage("{\"144p\": {51: (1.0, 2),, }}", "line 1, column 24", "expected a value");
    assertMessage("[1, 2]", "cfg", "expected a map");
    // a bucket nobody can enter needs no batch size
    BucketConfig ok = BucketConfig.parse("{'480p': {1: (0.5, 2), 408: (0.0, None)}}", "cfg");
    assertEquals(0, ok.bucket(Resolution.P480, 408).batchSize());
  }

  private static void assertMessage(String text, String... parts) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BucketConfig.parse(text, "cfg"));
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }
  }

  /** The generators against values printed by NumPy 1.24 and PyTorch 1.13. */
  @Test
  void generatorsAreNumpysAndTorchs() {
    double[][] expected = {
      {0.6369616873214543, 0.2697867137638703, 0.04097352393619469},
      {0.7739560485559633, 0.4388784397520523, 0.8585979199113825},
      {0.7736560850714245, 0.9958573802012665, 0.47317891460392636}
    };
    long[] seeds = {0, 42, (1L << 40) + 3};
    for (int i = 0; i < seeds.length; i++) {
      Pcg64 g = new Pcg64(seeds[i]);
      for (double v : expected[i]) {
        assertEquals(v, g.nextDouble(), 0.0, "seed " + seeds[i]);
      }
    }
    Mt19937 m = new Mt19937(7);
    assertArrayEquals(new int[] {5, 0, 3, 4, 1, 7, 9, 6, 8, 2}, m.randperm(10));
    int[] p = m.randperm(1000);
    assertArrayEquals(
        new int[] {761, 296, 807, 327, 445, 3, 308, 121, 560, 285}, java.util.Arrays.copyOf(p, 10));
  }

  @Test
  void namedSizesForSampling() {
    assertEquals(new AspectRatio("0.56", 720, 1280), Resolution.P720.size("9:16"));
    assertEquals(Resolution.P720.size("9:16"), Resolution.parse("720P").size("0.56"));
    assertEquals("1.00", Resolution.P144.closest(100, 101).name());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Resolution.P360.size("7:5"));
    assertTrue(e.getMessage().contains("'7:5'") && e.getMessage().contains("9:16"));
  }
}
