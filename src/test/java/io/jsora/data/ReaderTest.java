package io.jsora.data;

import static org.junit.jupiter.api.Assertions.*;

import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import io.jsora.video.DecodeOptions;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.VideoReader;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReaderTest {
  @TempDir Path dir;

  private Path preprocess(LatentSpec spec, boolean pooled) throws Exception {
    Path captions = PreprocessFixtures.write(dir);
    Path out = dir.resolve("ds");
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(
              PreprocessConfig.of(captions, dir.resolve("videos"), out)
                  .withShards(2)
                  .withPooled(pooled)
                  .withMaxFrames(10)
                  .withBatching(2, 2, 2),
              new FakeTextEncoder(),
              spec,
              cpu)
          .run(Progress.NONE);
    }
    return out;
  }

  private static void assertFloats(float[][] want, Tensor got) {
    assertArrayEquals(new long[] {want.length, want[0].length}, Shapes.of(got));
    float[] g = Tensors.toFloats(got);
    for (int l = 0; l < want.length; l++) {
      for (int d = 0; d < want[0].length; d++) {
        assertEquals(want[l][d], g[l * want[0].length + d], 0.0f);
      }
    }
  }

  @Test
  void readsEveryRowAcrossShardsFromTheMapping() throws Exception {
    Path out =
        preprocess(LatentSpec.floats(TestCompressors.identity(), LatentSpec.Kind.FLOAT16), false);
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(out)) {
      assertEquals(6, ds.size());
      assertTrue(ds.hasLatents());
      assertEquals("test:fake-text", ds.info().textEncoder());
      assertEquals(LatentSpec.Kind.FLOAT16, ds.info().latentKind());
      String[] files = {"a.mp4", "a.mp4", "a.mp4", "b.mkv", "one.mp4", "c.avi"};
      String[] caps = {
        "a red circle moving left",
        "red ball rolls",
        "more about a",
        "odd sized noise",
        "a single frame",
        "motion jpeg again"
      };
      for (int r = 0; r < 6; r++) {
        assertEquals(files[r], ds.videoFile(r));
        try (Tensor t = ds.textStates(r)) {
          assertFloats(FakeTextEncoder.expected(caps[r]), t);
        }
      }
      assertArrayEquals(new int[] {5, 13, 17}, ds.videoSize(3));
      assertArrayEquals(new long[] {3, 5, 13, 17}, ds.cellShape(HfDataset.VIDEO_LATENT_STATES, 3));
      try (PointerScope s = new PointerScope();
          Tensor lat = ds.latent(3);
          DecodedVideo v = VideoReader.decode(dir.resolve("videos/b.mkv"));
          Tensor x = Frames.toModel(v.frames())) {
        assertEquals(DType.F16, DType.of(lat));
        assertTrue(
            lat.to(DType.F32.scalarType())
                .equal(x.squeeze(0).to(DType.F16.scalarType()).to(DType.F32.scalarType())));
      }
      assertThrows(IndexOutOfBoundsException.class, () -> ds.videoFile(6));
    }
  }

  @Test
  void readsAStreamWrittenByArrowsOwnWriterInSeveralBatches() throws Exception {
    Path out = Files.createDirectories(dir.resolve("py"));
    List<HfDataset.Column> cols =
        List.of(
            new HfDataset.Column("video_file", 0, "string"),
            new HfDataset.Column("text_latent_states", 1, "float32"));
    try (RootAllocator alloc = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(HfDataset.schema(cols), alloc);
        FileOutputStream fo =
            new FileOutputStream(out.resolve("data-00000-of-00001.arrow").toFile());
        ArrowStreamWriter w = new ArrowStreamWriter(root, null, fo)) {
      w.start();
      for (int batch = 0; batch < 3; batch++) {
        VarCharVector names = (VarCharVector) root.getVector("video_file");
        ListVector states = (ListVector) root.getVector("text_latent_states");
        names.allocateNew();
        states.allocateNew();
        UnionListWriter lw = states.getWriter();
        for (int i = 0; i < 2; i++) {
          int row = batch * 2 + i;
          names.setSafe(i, ("v" + row + ".mp4").getBytes(java.nio.charset.StandardCharsets.UTF_8));
          lw.setPosition(i);
          lw.startList();
          for (int d = 0; d < 4; d++) {
            lw.float4().writeFloat4(row * 10 + d);
          }
          lw.endList();
        }
        names.setValueCount(2);
        states.setValueCount(2);
        root.setRowCount(2);
        w.writeBatch();
      }
      w.end();
    }
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(out)) {
      assertEquals(6, ds.size());
      assertTrue(ds.info().pooled());
      assertEquals("v5.mp4", ds.videoFile(5));
      try (Tensor t = ds.textStates(5)) {
        assertArrayEquals(new float[] {50, 51, 52, 53}, Tensors.toFloats(t), 0f);
      }
      assertNull(ds.videoSize(0), "no video_size column in a dataset written elsewhere");
    }
    assertTrue(Float4Vector.class.getSimpleName().length() > 0);
  }

  @Test
  void readsFixedLengthSequences() throws Exception {
    // datasets writes Sequence(Value('float32'), length=3) as fixed_size_list<float>[3]
    Path out = Files.createDirectories(dir.resolve("fixed"));
    org.apache.arrow.vector.types.pojo.Field item =
        new org.apache.arrow.vector.types.pojo.Field(
            "item",
            org.apache.arrow.vector.types.pojo.FieldType.nullable(
                new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                    org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)),
            null);
    org.apache.arrow.vector.types.pojo.Schema schema =
        new org.apache.arrow.vector.types.pojo.Schema(
            List.of(
                new org.apache.arrow.vector.types.pojo.Field(
                    "video_file",
                    org.apache.arrow.vector.types.pojo.FieldType.nullable(
                        org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE),
                    null),
                new org.apache.arrow.vector.types.pojo.Field(
                    "text_latent_states",
                    org.apache.arrow.vector.types.pojo.FieldType.nullable(
                        new org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList(3)),
                    List.of(item))));
    try (RootAllocator alloc = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
        FileOutputStream fo =
            new FileOutputStream(out.resolve("data-00000-of-00001.arrow").toFile());
        ArrowStreamWriter w = new ArrowStreamWriter(root, null, fo)) {
      w.start();
      VarCharVector names = (VarCharVector) root.getVector("video_file");
      org.apache.arrow.vector.complex.FixedSizeListVector states =
          (org.apache.arrow.vector.complex.FixedSizeListVector)
              root.getVector("text_latent_states");
      names.allocateNew();
      states.allocateNew();
      Float4Vector values = (Float4Vector) states.getDataVector();
      for (int r = 0; r < 2; r++) {
        names.setSafe(r, ("f" + r + ".mp4").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        states.setNotNull(r);
        for (int d = 0; d < 3; d++) {
          values.setSafe(r * 3 + d, r + d / 10f);
        }
      }
      values.setValueCount(6);
      names.setValueCount(2);
      states.setValueCount(2);
      root.setRowCount(2);
      w.writeBatch();
      w.end();
    }
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(out);
        Tensor t = ds.textStates(1)) {
      assertArrayEquals(new float[] {1f, 1.1f, 1.2f}, Tensors.toFloats(t), 0f);
    }
  }

  @Test
  void samplerBucketsShardsAndResumesExactly() {
    long[][] keys = new long[23][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = new long[] {i % 3 == 0 ? 8 : 4, 16, i % 2 == 0 ? 16 : 24};
    }
    Set<Long> seen = new HashSet<>();
    int batches = 0;
    for (int rank = 0; rank < 2; rank++) {
      BucketSampler s = new BucketSampler(keys, 3, false, 7, rank, 2);
      s.setEpoch(0);
      for (long[] b; (b = s.next()) != null; ) {
        batches++;
        for (long r : b) {
          assertArrayEquals(keys[(int) b[0]], keys[(int) r], "one shape per batch");
          assertTrue(seen.add(r), "row " + r + " twice in an epoch");
        }
      }
    }
    assertEquals(batches % 2, 0, "every rank runs the same number of steps");
    BucketSampler a = new BucketSampler(keys, 3, true, 7, 0, 1);
    BucketSampler b = new BucketSampler(keys, 3, true, 7, 0, 1);
    a.setEpoch(3);
    b.setEpoch(3);
    assertArrayEquals(a.next(), b.next(), "same seed and epoch, same order");
    a.next();
    BucketSampler.State saved = a.state();
    long[] expected = a.next();
    BucketSampler c = new BucketSampler(keys, 3, true, 7, 0, 1);
    c.restore(saved);
    assertArrayEquals(expected, c.next(), "restored sampler continues exactly");
    BucketSampler e4 = new BucketSampler(keys, 3, true, 7, 0, 1);
    e4.setEpoch(4);
    List<long[]> ep3 = new ArrayList<>();
    List<long[]> ep4 = new ArrayList<>();
    b.setEpoch(3);
    for (long[] x; (x = b.next()) != null; ) {
      ep3.add(x);
    }
    for (long[] x; (x = e4.next()) != null; ) {
      ep4.add(x);
    }
    assertFalse(
        java.util.Arrays.deepEquals(ep3.toArray(), ep4.toArray()),
        "epochs are shuffled differently");
  }

  @Test
  void loaderServesCachedLatentsWithPaddedTextAndResumes() throws Exception {
    Path out =
        preprocess(LatentSpec.floats(TestCompressors.identity(), LatentSpec.Kind.FLOAT16), false);
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(out);
        Device cpu = new Device("cpu")) {
      long[][] keys = Loader.shapeKeys(ds, DecodeOptions.NATIVE, null);
      assertArrayEquals(new long[] {3, 8, 16, 16}, keys[0]);
      BucketSampler sampler = new BucketSampler(keys, 2, false, 1, 0, 1);
      sampler.setEpoch(0);
      List<long[]> order = new ArrayList<>();
      BucketSampler.State afterFirst;
      try (Loader<BucketSampler.State> loader =
          new Loader<>(ds, sampler, Loader.Options.defaults(cpu))) {
        try (PointerScope scope = new PointerScope();
            Batch b = loader.next()) {
          order.add(b.rows());
          afterFirst = loader.state();
          long[] s = Shapes.of(b.latents());
          assertEquals(b.size(), s[0]);
          assertEquals(DType.F32, DType.of(b.latents()));
          assertNull(b.video());
          // text padded to the longest, mask marks the real states
          long longest = Shapes.of(b.text())[1];
          for (int i = 0; i < b.size(); i++) {
            try (Tensor t = ds.textStates(b.rows()[i])) {
              long len = t.size(0);
              assertTrue(len <= longest);
              assertEquals(len, b.textMask().get(i).sum().item_long());
              assertTrue(b.text().get(i).narrow(0, 0, len).equal(t));
            }
          }
        }
        for (Batch next; (next = loader.next()) != null; ) {
          try (Batch b = next) {
            order.add(b.rows());
          }
        }
      }
      Set<Long> rows = new HashSet<>();
      for (long[] r : order) {
        for (long x : r) {
          assertTrue(rows.add(x));
        }
      }
      assertEquals(6, rows.size());
      BucketSampler again = new BucketSampler(keys, 2, false, 1, 0, 1);
      again.restore(afterFirst);
      try (Loader<BucketSampler.State> loader =
              new Loader<>(ds, again, Loader.Options.defaults(cpu).withThreads(1, 1));
          Batch b = loader.next()) {
        assertArrayEquals(order.get(1), b.rows(), "resumed loader continues with the second batch");
      }
    }
  }

  @Test
  void loaderDecodesAndCompressesOnTheFlyAndDropsVanishedVideos() throws Exception {
    Path out = preprocess(null, true);
    Files.delete(dir.resolve("videos/one.mp4"));
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(out);
        Device cpu = new Device("cpu")) {
      assertFalse(ds.hasLatents());
      long[][] keys = Loader.shapeKeys(ds, DecodeOptions.NATIVE, new int[] {1, 2, 2});
      assertArrayEquals(new long[] {5, 12, 16}, keys[3], "b.mkv 13x17 cut to the factors");
      BucketSampler sampler = new BucketSampler(keys, 4, false, 3, 0, 1);
      sampler.setEpoch(0);
      int rows = 0;
      List<String> dropped = new ArrayList<>();
      Loader.Options o =
          Loader.Options.defaults(cpu)
              .withCompressor(
                  new int[] {1, 2, 2},
                  v -> {
                    try (PointerScope s = new PointerScope()) {
                      return v.mul(new org.bytedeco.pytorch.Scalar(2.0)).retainReference();
                    }
                  });
      try (Loader<BucketSampler.State> loader = new Loader<>(ds, sampler, o)) {
        for (Batch next; (next = loader.next()) != null; ) {
          try (Batch b = next) {
            rows += b.size();
            assertEquals(2, Shapes.of(b.text()).length, "pooled text [B, D]");
            assertNull(b.textMask());
            for (int i = 0; i < b.size(); i++) {
              if (ds.videoFile(b.rows()[i]).equals("b.mkv")) {
                try (PointerScope s = new PointerScope();
                    DecodedVideo v = VideoReader.decode(dir.resolve("videos/b.mkv"));
                    Tensor x =
                        Frames.toModel(v.frames().narrow(1, 0, 12).narrow(2, 0, 16).contiguous())) {
                  assertTrue(
                      b.latents()
                          .get(i)
                          .equal(x.squeeze(0).mul(new org.bytedeco.pytorch.Scalar(2.0))));
                }
              }
            }
          }
        }
        dropped.addAll(loader.dropped());
      }
      assertEquals(
          5, rows, "one.mp4 vanished after preprocessing: its row is dropped, the rest served");
      assertEquals(List.of("one.mp4: missing"), dropped);
      // a failing compressor: the error reaches next(), close() does not hang
      BucketSampler s2 = new BucketSampler(keys, 1, false, 3, 0, 1);
      s2.setEpoch(0);
      Loader.Options bad =
          Loader.Options.defaults(cpu)
              .withCompressor(
                  new int[] {1, 2, 2},
                  v -> {
                    throw new IllegalStateException("compressor broke");
                  });
      try (Loader<BucketSampler.State> loader = new Loader<>(ds, s2, bad)) {
        IllegalStateException e = assertThrows(IllegalStateException.class, loader::next);
        assertEquals("compressor broke", e.getMessage());
      }
    }
  }
}
