package io.jsora.data.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against the reference's own code: {@code tools/golden/buckets.py} ran Open-Sora 1.2's {@code
 * aspect.py}, {@code Bucket} and {@code VariableVideoBatchSampler} on 240 seeded sample shapes.
 */
class BucketGoldenTest {
  /** The golden config, in the reference's Python spelling. */
  static final String CONFIG =
      """
      {
          "144p": {1: (1.0, 7), 51: (1.0, 5), 102: ((1.0, 0.33), 3), 204: ((1.0, 0.1), 2)},
          "256": {1: (0.4, 6), 51: (0.5, 4), 102: ((0.5, 0.33), 2)},
          "240p": {1: (0.3, 6), 51: (0.4, 4), 102: ((0.4, 0.5), 2), 204: (0.0, None)},
          # ---
          "360p": {1: (0.5, 4), 51: (0.7, 3), 102: (1.0, 2)},
          "512": {1: (0.1, 3)},
          "480p": {1: (0.6, 3), 51: ((0.9, 0.8), 2)},
          "720p": {1: (0.5, 2), 51: (0.5, 1)},
          "1080p": {1: (0.3, 1)},
      }
      """;

  static JsonNode golden;
  static List<SampleShape> samples;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        BucketGoldenTest.class.getResourceAsStream("/golden/buckets/buckets.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    samples = new ArrayList<>();
    for (JsonNode s : golden.get("samples")) {
      samples.add(
          new SampleShape(
              s.get("num_frames").intValue(),
              s.get("height").intValue(),
              s.get("width").intValue()));
    }
  }

  @Test
  void aspectRatioTablesAreTheReferences() {
    JsonNode tables = golden.get("tables");
    List<String> names = new ArrayList<>();
    tables.fieldNames().forEachRemaining(names::add);
    assertEquals(names, io.jsora.config.Choice.ids(Resolution.class));
    for (Resolution r : Resolution.values()) {
      JsonNode t = tables.get(r.id());
      assertEquals(t.get("pixels").longValue(), r.pixels(), r.id());
      List<AspectRatio> expected = new ArrayList<>();
      for (JsonNode a : t.get("ratios")) {
        expected.add(
            new AspectRatio(a.get(0).textValue(), a.get(1).intValue(), a.get(2).intValue()));
      }
      assertEquals(expected, r.ratios(), r.id());
    }
  }

  @Test
  void pythonAndJsonSpellingsReadAlike() {
    BucketConfig py = BucketConfig.parse(CONFIG, "test");
    BucketConfig json = BucketConfig.fromJson(golden.get("config"));
    assertEquals(json, py);
    assertEquals(py, BucketConfig.fromJson(py.toJson()));
    // the reference's order: pixels descending, frames descending
    assertEquals(Resolution.P1080, py.buckets().get(0).resolution());
    BucketConfig.Bucket last = py.buckets().get(py.buckets().size() - 1);
    assertEquals(Resolution.P144, last.resolution());
    assertEquals(1, last.numFrames());
  }

  @Test
  void bucketOfEachSampleIsTheReferences() {
    BucketConfig config = BucketConfig.parse(CONFIG, "test");
    for (String fi : List.of("1", "2")) {
      BucketAssigner a = new BucketAssigner(config, Integer.parseInt(fi));
      JsonNode expected = golden.get("assign").get(fi);
      int kept = 0;
      for (int n = 0; n < samples.size(); n++) {
        Optional<BucketId> got = a.assign(samples.get(n), 1000 + 13L * n);
        JsonNode e = expected.get(n);
        String what = "frame interval " + fi + ", sample " + n + " " + samples.get(n);
        if (e.isNull()) {
          assertTrue(got.isEmpty(), what + ": expected none, got " + got);
        } else {
          kept++;
          assertTrue(got.isPresent(), what + ": expected " + e + ", got none");
          assertEquals(e.get(0).textValue(), got.get().resolution().id(), what);
          assertEquals(e.get(1).intValue(), got.get().numFrames(), what);
          assertEquals(e.get(2).textValue(), got.get().aspectRatio().name(), what);
        }
      }
      assertTrue(kept > samples.size() / 2 && kept < samples.size(), "kept " + kept);
    }
  }

  @Test
  void batchesOfEachRankAreTheReferences() {
    BucketConfig config = BucketConfig.parse(CONFIG, "test");
    assertTrue(golden.get("batches").size() >= 6);
    for (JsonNode c : golden.get("batches")) {
      int world = c.get("world").intValue();
      int epoch = c.get("epoch").intValue();
      long seed = c.get("seed").longValue();
      BucketAssigner a = new BucketAssigner(config, c.get("frame_interval").intValue());
      for (int rank = 0; rank < world; rank++) {
        String what = c.toString().substring(0, 90) + " rank " + rank;
        BucketBatchSampler s =
            new BucketBatchSampler(
                a, samples, c.get("drop_last").booleanValue(), seed, rank, world);
        s.setEpoch(epoch);
        assertEquals(batches(c.get("ranks").get(rank)), drain(s), what);
        JsonNode resume = c.get("resume").get(rank);
        BucketBatchSampler r =
            new BucketBatchSampler(
                a, samples, c.get("drop_last").booleanValue(), seed, rank, world);
        r.restore(
            new BucketBatchSampler.Position(seed, epoch, resume.get("steps").intValue(), world));
        assertEquals(batches(resume.get("batches")), drain(r), what + " resumed");
      }
    }
  }

  static List<BucketBatchSampler.BucketBatch> drain(BucketBatchSampler s) {
    List<BucketBatchSampler.BucketBatch> out = new ArrayList<>();
    for (BucketBatchSampler.BucketBatch b = s.next(); b != null; b = s.next()) {
      out.add(b);
    }
    return out;
  }

  private static List<BucketBatchSampler.BucketBatch> batches(JsonNode list) {
    List<BucketBatchSampler.BucketBatch> out = new ArrayList<>();
    for (JsonNode b : list) {
      Resolution res = Resolution.parse(b.get("bucket").get(0).textValue());
      AspectRatio ar = res.size(b.get("bucket").get(2).textValue());
      long[] rows = new long[b.get("rows").size()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = b.get("rows").get(i).longValue();
      }
      out.add(
          new BucketBatchSampler.BucketBatch(
              new BucketId(res, b.get("bucket").get(1).intValue(), ar), rows));
    }
    return out;
  }
}
