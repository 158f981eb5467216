package io.jsora.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.tensor.DType;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.VideoReader;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessTest {
  @TempDir Path dir;

  /**
   * Every row of every shard, read with Arrow's own stream reader: column name → values per row.
   */
  static List<Map<String, Object>> readAll(Path out, int shards) throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int s = 0; s < shards; s++) {
      try (RootAllocator alloc = new RootAllocator();
          FileInputStream in =
              new FileInputStream(out.resolve(HfDataset.shardName(s, shards)).toFile());
          ArrowStreamReader r = new ArrowStreamReader(in, alloc)) {
        VectorSchemaRoot root = r.getVectorSchemaRoot();
        while (r.loadNextBatch()) {
          for (int i = 0; i < root.getRowCount(); i++) {
            Map<String, Object> row = new HashMap<>();
            for (FieldVector v : root.getFieldVectors()) {
              Object o = v.getObject(i);
              row.put(
                  v.getName(),
                  o instanceof org.apache.arrow.vector.util.Text t ? t.toString() : copy(o));
            }
            rows.add(row);
          }
        }
      }
    }
    return rows;
  }

  private static Object copy(Object o) {
    if (o instanceof List<?> l) {
      List<Object> c = new ArrayList<>();
      for (Object x : l) {
        c.add(copy(x));
      }
      return c;
    }
    return o;
  }

  static Schema schemaOf(Path shard) throws Exception {
    try (RootAllocator alloc = new RootAllocator();
        FileInputStream in = new FileInputStream(shard.toFile());
        ArrowStreamReader r = new ArrowStreamReader(in, alloc)) {
      return r.getVectorSchemaRoot().getSchema();
    }
  }

  @SuppressWarnings("unchecked")
  static void assertStates(String caption, Object cell) {
    float[][] e = FakeTextEncoder.expected(caption);
    List<List<Float>> got = (List<List<Float>>) cell;
    assertEquals(e.length, got.size(), caption + ": sequence length (padding removed)");
    for (int l = 0; l < e.length; l++) {
      for (int d = 0; d < FakeTextEncoder.D; d++) {
        assertEquals(e[l][d], got.get(l).get(d), 0.0f, caption + " [" + l + "," + d + "]");
      }
    }
  }

  @Test
  void writesRowsPerPairAndReportsEveryBadInput() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    FakeTextEncoder enc = new FakeTextEncoder();
    PreprocessConfig cfg =
        PreprocessConfig.of(captions, dir.resolve("videos"), out)
            .withMaxFrames(10)
            .withBatching(3, 2, 2);
    Preprocessor.Summary s;
    try (Device cpu = new Device("cpu")) {
      s = new Preprocessor(cfg, enc, null, cpu).run(Progress.NONE);
    }
    assertTrue(s.complete());
    // a.mp4 x3 (captions merged), b.mkv, one.mp4, c.avi x1 (its first line is malformed)
    assertEquals(6, s.rowsTotal());
    assertEquals(6, s.pairsWritten());
    List<Map<String, Object>> rows = readAll(out, 1);
    List<String> files = rows.stream().map(r -> (String) r.get("video_file")).toList();
    assertEquals(List.of("a.mp4", "a.mp4", "a.mp4", "b.mkv", "one.mp4", "c.avi"), files);
    String[] caps = {
      "a red circle moving left",
      "red ball rolls",
      "more about a",
      "odd sized noise",
      "a single frame",
      "motion jpeg again"
    };
    for (int i = 0; i < caps.length; i++) {
      assertStates(caps[i], rows.get(i).get("text_latent_states"));
    }
    assertEquals(List.of(8, 16, 16), rows.get(0).get("video_size"));
    assertEquals(List.of(5, 13, 17), rows.get(3).get("video_size"));
    assertEquals(List.of(1, 16, 16), rows.get(4).get("video_size"));
    assertEquals(List.of(4, 16, 24), rows.get(5).get("video_size"));
    // skip reasons, in caption-file line order
    List<String> lines = Files.readAllLines(out.resolve("skipped.jsonl"));
    ObjectMapper json = new ObjectMapper();
    Map<String, String> reasonOf = new HashMap<>();
    for (String l : lines) {
      JsonNode n = json.readTree(l);
      reasonOf.put(
          n.get("file").isNull() ? "line " + n.get("line").asInt() : n.get("file").asText(),
          n.get("reason").asText());
    }
    assertEquals(
        Map.of(
            "trunc.mp4",
            "truncated",
            "line 4",
            "bad-caption-line",
            "empty.mp4",
            "empty",
            "text.mp4",
            "not-a-video",
            "missing.mp4",
            "missing",
            "long.mp4",
            "too-long"),
        reasonOf);
    assertTrue(lines.get(1).contains("\"line\": 4"), lines.get(1));
    // the dataset says what made it
    JsonNode info = json.readTree(out.resolve("jsora.json").toFile());
    assertEquals("test:fake-text", info.get("text_encoder").asText());
    assertTrue(info.get("compressor").isNull());
    assertEquals(6, info.get("rows").asInt());
    assertFalse(Files.exists(out.resolve("data-00000-of-00001.arrow.partial")));
  }

  @Test
  void metadataMatchesWhatDatasetsWrites() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(
              PreprocessConfig.of(captions, dir.resolve("videos"), out).withShards(2),
              new FakeTextEncoder(),
              null,
              cpu)
          .run(Progress.NONE);
    }
    // features exactly as datasets' Features.to_dict() / json.dump(indent=2) lay them out
    String info = Files.readString(out.resolve("dataset_info.json"));
    String description = new ObjectMapper().readTree(info).get("description").asText();
    String expected =
        "{\n"
            + "  \"citation\": \"\",\n"
            + "  \"description\": \""
            + description
            + "\",\n"
            + "  \"features\": {\n"
            + "    \"video_file\": {\n"
            + "      \"dtype\": \"string\",\n"
            + "      \"_type\": \"Value\"\n"
            + "    },\n"
            + "    \"text_latent_states\": {\n"
            + "      \"feature\": {\n"
            + "        \"feature\": {\n"
            + "          \"dtype\": \"float32\",\n"
            + "          \"_type\": \"Value\"\n"
            + "        },\n"
            + "        \"_type\": \"Sequence\"\n"
            + "      },\n"
            + "      \"_type\": \"Sequence\"\n"
            + "    },\n"
            + "    \"video_size\": {\n"
            + "      \"feature\": {\n"
            + "        \"dtype\": \"int32\",\n"
            + "        \"_type\": \"Value\"\n"
            + "      },\n"
            + "      \"_type\": \"Sequence\"\n"
            + "    }\n"
            + "  },\n"
            + "  \"homepage\": \"\",\n"
            + "  \"license\": \"\"\n"
            + "}";
    assertEquals(expected, info);
    String state = Files.readString(out.resolve("state.json"));
    String fp = new ObjectMapper().readTree(state).get("_fingerprint").asText();
    assertTrue(fp.matches("[0-9a-f]{16}"), fp);
    assertEquals(
        "{\n  \"_data_files\": [\n    {\n      \"filename\": \"data-00000-of-00002.arrow\"\n    },\n    {\n"
            + "      \"filename\": \"data-00001-of-00002.arrow\"\n    }\n  ],\n  \"_fingerprint\": \""
            + fp
            + "\",\n"
            + "  \"_format_columns\": null,\n  \"_format_kwargs\": {},\n  \"_format_type\": null,\n  \"_output_all_columns\": false,\n"
            + "  \"_split\": null\n}",
        state);
    Schema schema = schemaOf(out.resolve("data-00001-of-00002.arrow"));
    assertEquals(
        "{\"info\": {\"features\": {\"video_file\": {\"dtype\": \"string\", \"_type\": \"Value\"}, \"text_latent_states\": "
            + "{\"feature\": {\"feature\": {\"dtype\": \"float32\", \"_type\": \"Value\"}, \"_type\": \"Sequence\"}, \"_type\": \"Sequence\"}, "
            + "\"video_size\": {\"feature\": {\"dtype\": \"int32\", \"_type\": \"Value\"}, \"_type\": \"Sequence\"}}}}",
        schema.getCustomMetadata().get("huggingface"));
    assertEquals(
        "Schema<video_file: Utf8, text_latent_states: List<item: List<item: FloatingPoint(SINGLE)>>, video_size: List<item: Int(32, true)>>"
            + "(metadata: {huggingface="
            + schema.getCustomMetadata().get("huggingface")
            + "})",
        schema.toString());
    assertEquals(7, readAll(out, 2).size(), "long.mp4 counts under the default 600-frame limit");
  }

  @Test
  void pooledTextAndFloat16RawLatentsAreExact() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    LatentSpec spec = LatentSpec.floats(TestCompressors.identity(), LatentSpec.Kind.FLOAT16);
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(
              PreprocessConfig.of(captions, dir.resolve("videos"), out)
                  .withPooled(true)
                  .withMaxFrames(10),
              new FakeTextEncoder(),
              spec,
              cpu)
          .run(Progress.NONE);
    }
    List<Map<String, Object>> rows = readAll(out, 1);
    assertEquals(6, rows.size());
    @SuppressWarnings("unchecked")
    List<Float> pooled = (List<Float>) rows.get(1).get("text_latent_states");
    float[][] e = FakeTextEncoder.expected("red ball rolls");
    for (int d = 0; d < FakeTextEncoder.D; d++) {
      assertEquals(e[e.length - 1][d], pooled.get(d), 0.0f);
    }
    // b.mkv is lossless: its latent is exactly frames/255 - 0.5 in float16, [3, 5, 13, 17]
    // Arrow's Float2Vector hands out the raw binary16 bits
    @SuppressWarnings("unchecked")
    List<List<List<List<Short>>>> lat =
        (List<List<List<List<Short>>>>) rows.get(3).get("video_latent_states");
    assertEquals(3, lat.size());
    assertEquals(5, lat.get(0).size());
    assertEquals(13, lat.get(0).get(0).size());
    assertEquals(17, lat.get(0).get(0).get(0).size());
    try (PointerScope s = new PointerScope();
        DecodedVideo v = VideoReader.decode(dir.resolve("videos/b.mkv"));
        Tensor x = Frames.toModel(v.frames())) {
      Tensor half = x.to(DType.F16.scalarType()).to(DType.F32.scalarType()); // (1, 3, 5, 13, 17)
      float[] want = io.jsora.tensor.Tensors.toFloats(half);
      int k = 0;
      for (int c = 0; c < 3; c++) {
        for (int t = 0; t < 5; t++) {
          for (int y = 0; y < 13; y++) {
            for (int xx = 0; xx < 17; xx++) {
              float got =
                  org.apache.arrow.memory.util.Float16.toFloat(lat.get(c).get(t).get(y).get(xx));
              assertEquals(want[k++], got, 0.0f);
              // float16 keeps the byte exactly: round((x + 0.5) * 255) is the pixel
              assertEquals(
                  Math.round((want[k - 1] + 0.5f) * 255f), Math.round((got + 0.5f) * 255f));
            }
          }
        }
      }
    }
    assertTrue(
        Files.readString(out.resolve("dataset_info.json")).contains("\"dtype\": \"float16\""));
  }

  @Test
  void vqvaeStoresIntegerCodes() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    LatentSpec spec = LatentSpec.indices(TestCompressors.pretendVq(), TestCompressors::codes);
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(
              PreprocessConfig.of(captions, dir.resolve("videos"), out).withMaxFrames(10),
              new FakeTextEncoder(),
              spec,
              cpu)
          .run(Progress.NONE);
    }
    List<Map<String, Object>> rows = readAll(out, 1);
    // b.mkv is 13x17: cropped to 12x16 for factors (1, 2, 2) -> codes [5, 6, 8]
    @SuppressWarnings("unchecked")
    List<List<List<Integer>>> codes =
        (List<List<List<Integer>>>) rows.get(3).get("video_latent_states");
    assertEquals(5, codes.size());
    assertEquals(6, codes.get(0).size());
    assertEquals(8, codes.get(0).get(0).size());
    try (PointerScope s = new PointerScope();
        DecodedVideo v = VideoReader.decode(dir.resolve("videos/b.mkv"));
        Tensor x = Frames.toModel(v.frames().narrow(1, 0, 12).narrow(2, 0, 16).contiguous());
        Tensor want = TestCompressors.codes(x)) {
      long[] w = io.jsora.tensor.Tensors.toLongs(want);
      int k = 0;
      for (int t = 0; t < 5; t++) {
        for (int y = 0; y < 6; y++) {
          for (int xx = 0; xx < 8; xx++) {
            assertEquals(w[k++], (long) codes.get(t).get(y).get(xx));
          }
        }
      }
    }
    assertTrue(Files.readString(out.resolve("dataset_info.json")).contains("\"dtype\": \"int32\""));
  }

  @Test
  void resumesAfterAFailureWithEveryPairExactlyOnce() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path clean = dir.resolve("clean");
    Path out = dir.resolve("ds");
    PreprocessConfig base =
        PreprocessConfig.of(captions, dir.resolve("videos"), clean)
            .withMaxFrames(10)
            .withBatching(1, 1, 2)
            .withShards(2);
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(base, new FakeTextEncoder(), null, cpu).run(Progress.NONE);
      PreprocessConfig cfg =
          new PreprocessConfig(
              captions, dir.resolve("videos"), out, false, 10, 2, false, false, 1, 1, 2, 0, 1);
      // one video per batch, one caption per encoder call: a.mp4's 3 captions are committed, the
      // 4th call (b.mkv) fails
      assertThrows(
          IllegalStateException.class,
          () -> new Preprocessor(cfg, new FakeTextEncoder(4, 0), null, cpu).run(Progress.NONE));
      assertTrue(Files.exists(out.resolve("data-00000-of-00002.arrow.partial")));
      // a crash mid-write: garbage after the committed bytes and a torn journal line
      Files.write(
          out.resolve("data-00000-of-00002.arrow.partial"),
          new byte[] {1, 2, 3, 4, 5},
          java.nio.file.StandardOpenOption.APPEND);
      Files.writeString(
          out.resolve(".jsora-progress/shard-00000.jsonl"),
          "{\"videos\": 9, \"ro",
          java.nio.file.StandardOpenOption.APPEND);
      java.io.IOException again =
          assertThrows(
              java.io.IOException.class,
              () -> new Preprocessor(cfg, new FakeTextEncoder(), null, cpu).run(Progress.NONE));
      assertTrue(again.getMessage().contains("--resume"), again.getMessage());
      Preprocessor.Summary s =
          new Preprocessor(cfg.withResume(true), new FakeTextEncoder(), null, cpu)
              .run(Progress.NONE);
      assertTrue(s.complete());
      assertEquals(6, s.rowsTotal());
      assertEquals(3, s.pairsWritten(), "the 3 committed pairs are not written again");
    }
    for (int shard = 0; shard < 2; shard++) {
      String name = HfDataset.shardName(shard, 2);
      assertArrayEquals(
          Files.readAllBytes(clean.resolve(name)),
          Files.readAllBytes(out.resolve(name)),
          name + ": the resumed shard is byte-identical to an uninterrupted run");
    }
    assertEquals(
        Files.readString(clean.resolve("skipped.jsonl")),
        Files.readString(out.resolve("skipped.jsonl")));
    // resuming with other settings is refused
    PreprocessConfig other =
        new PreprocessConfig(
            captions, dir.resolve("videos"), out, true, 10, 2, true, false, 1, 1, 2, 0, 1);
    try (Device cpu = new Device("cpu")) {
      java.io.IOException e =
          assertThrows(
              java.io.IOException.class,
              () -> new Preprocessor(other, new FakeTextEncoder(), null, cpu).run(Progress.NONE));
      assertTrue(e.getMessage().contains("use_pooled_text"), e.getMessage());
    }
  }

  @Test
  void ranksTakeTheirShardsAndTheLastWritesTheMetadata() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    PreprocessConfig cfg =
        PreprocessConfig.of(captions, dir.resolve("videos"), out).withMaxFrames(10).withShards(3);
    try (Device cpu = new Device("cpu")) {
      Preprocessor.Summary r1 =
          new Preprocessor(cfg.withRank(1, 2), new FakeTextEncoder(), null, cpu).run(Progress.NONE);
      assertFalse(r1.complete());
      assertEquals(1, r1.shardsDone());
      assertTrue(Files.exists(out.resolve("data-00001-of-00003.arrow")));
      assertFalse(Files.exists(out.resolve("state.json")));
      Preprocessor.Summary r0 =
          new Preprocessor(cfg.withRank(0, 2).withResume(true), new FakeTextEncoder(), null, cpu)
              .run(Progress.NONE);
      assertTrue(r0.complete());
      assertEquals(6, r0.rowsTotal());
    }
    assertEquals(6, readAll(out, 3).size());
  }

  @Test
  void ranksStartedTogetherShareOneDirectory() throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    PreprocessConfig cfg =
        PreprocessConfig.of(captions, dir.resolve("videos"), out)
            .withMaxFrames(10)
            .withShards(4)
            .withBatching(1, 1, 1);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<Preprocessor.Summary>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        PreprocessConfig mine = cfg.withRank(r, 2);
        ranks.add(
            pool.submit(
                () -> {
                  try (Device cpu = new Device("cpu")) {
                    return new Preprocessor(mine, new FakeTextEncoder(), null, cpu)
                        .run(Progress.NONE);
                  }
                }));
      }
      long pairs = 0;
      boolean complete = false;
      for (java.util.concurrent.Future<Preprocessor.Summary> f : ranks) {
        Preprocessor.Summary s = f.get();
        pairs += s.pairsWritten();
        complete |= s.complete();
      }
      assertEquals(6, pairs, "each rank wrote its own shards");
      assertTrue(complete, "the last rank wrote the metadata");
    } finally {
      pool.shutdown();
    }
    assertTrue(Files.exists(out.resolve("state.json")));
    assertEquals(6, readAll(out, 4).size());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Preprocessor(
                    cfg.withRank(0, 2).withOverwrite(true), new FakeTextEncoder(), null, null)
                .run(Progress.NONE));
  }

  @Test
  void captionFilesAsJsonArraysAndTheirErrors() throws Exception {
    Path json = dir.resolve("c.json");
    Files.writeString(
        json,
        "[\n {\"file\": \"x.mp4\", \"captions\": [\"one\", \"two\"]},\n {\"file\": \"y.mp4\", \"captions\": \"three\"},\n"
            + " {\"captions\": [\"no file\"]}\n]\n");
    CaptionsFile.Contents c = CaptionsFile.read(json);
    assertEquals(2, c.entries().size());
    assertEquals(3, c.captionCount());
    assertEquals(1, c.problems().size());
    assertEquals(4, c.problems().get(0).line());
    Path broken = dir.resolve("broken.json");
    Files.writeString(
        broken,
        "[\n {\"file\": \"x.mp4\", \"captions\": [\"one\"]},\n {\"file\": \"y.mp4\" \"captions\": []}\n]\n");
    java.io.IOException e =
        assertThrows(java.io.IOException.class, () -> CaptionsFile.read(broken));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
  }
}
