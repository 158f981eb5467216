package io.jsora.video;

import static org.junit.jupiter.api.Assertions.*;

import io.jsora.tensor.Shapes;
import io.jsora.video.BadVideoException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoIoTest {
  @TempDir Path dir;

  @Test
  void ffv1RoundTripIsExactAtOddSize() throws Exception {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.noise(5, 13, 17, 1)) {
      Path f = dir.resolve("odd.mkv");
      int[] size = VideoWriter.write(f, src, 10, VideoFormat.FFV1_MKV);
      assertArrayEquals(new int[] {13, 17}, size);
      VideoInfo info = VideoReader.probe(f);
      assertEquals(17, info.width());
      assertEquals(13, info.height());
      assertEquals(5, info.frames());
      assertEquals("ffv1", info.codec());
      assertEquals(10.0, info.fps(), 1e-9);
      try (DecodedVideo v = VideoReader.decode(f)) {
        assertArrayEquals(new long[] {5, 13, 17, 3}, Shapes.of(v.frames()));
        assertTrue(TestVideos.equal(src, v.frames()), "lossless codec must return the exact bytes");
      }
    }
  }

  @Test
  void lossyCodecsDecodeEveryFrameCloseToTheSource() throws Exception {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.gradient(8, 16, 16)) {
      for (VideoFormat fmt :
          new VideoFormat[] {
            VideoFormat.H264_MP4, VideoFormat.MPEG4_AVI, VideoFormat.MJPEG_AVI, VideoFormat.VP9_WEBM
          }) {
        Path f = dir.resolve("v." + fmt.extension());
        VideoWriter.write(f, src, 8, fmt);
        VideoInfo info = VideoReader.probe(f);
        assertEquals(8, info.frames(), fmt + " frame count");
        assertEquals(16, info.width(), fmt.toString());
        try (DecodedVideo v = VideoReader.decode(f)) {
          assertArrayEquals(new long[] {8, 16, 16, 3}, Shapes.of(v.frames()), fmt.toString());
          double mad = TestVideos.meanAbsDiff(src, v.frames());
          // smooth content at high quality: under 3 levels of 255 on average (measured 0.9-1.8)
          assertTrue(mad < 3.0, fmt + ": mean abs diff " + mad);
        }
      }
    }
  }

  @Test
  void h264PadsOddSizesAndKeepsOneFrameVideos() throws Exception {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.gradient(3, 15, 17)) {
      Path f = dir.resolve("odd.mp4");
      assertArrayEquals(new int[] {16, 18}, VideoWriter.writeMp4(f, src, 5));
      try (DecodedVideo v = VideoReader.decode(f)) {
        assertArrayEquals(new long[] {3, 16, 18, 3}, Shapes.of(v.frames()));
        Tensor inner = v.frames().narrow(1, 0, 15).narrow(2, 0, 17);
        double mad = TestVideos.meanAbsDiff(src, inner);
        assertTrue(mad < 3.0, "mean abs diff " + mad);
      }
      Path one = dir.resolve("one.mp4");
      try (Tensor f1 = TestVideos.gradient(1, 16, 16)) {
        VideoWriter.writeMp4(one, f1, 8);
      }
      assertEquals(1, VideoReader.probe(one).frames());
      try (DecodedVideo v = VideoReader.decode(one)) {
        assertEquals(1, v.length());
      }
    }
  }

  @Test
  void resamplesResizesAndCrops() throws Exception {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.noise(8, 16, 16, 2)) {
      Path f = dir.resolve("a.mkv");
      VideoWriter.write(f, src, 8, VideoFormat.FFV1_MKV);
      try (DecodedVideo v = VideoReader.decode(f, DecodeOptions.NATIVE.withFps(4))) {
        assertEquals(4, v.length());
        assertEquals(4.0, v.fps());
        for (int k = 0; k < 4; k++) {
          assertTrue(
              TestVideos.equal(src.get(2 * k), v.frames().get(k)), "4 fps keeps frames 0, 2, 4, 6");
        }
      }
      try (DecodedVideo v = VideoReader.decode(f, DecodeOptions.NATIVE.withFps(16))) {
        assertEquals(16, v.length());
        assertTrue(
            TestVideos.equal(src.get(3), v.frames().get(7)), "16 fps repeats each frame twice");
      }
      try (DecodedVideo v =
          VideoReader.decode(f, DecodeOptions.NATIVE.withResize(8, 0).withCrop(6, 4))) {
        assertArrayEquals(new long[] {8, 4, 6, 3}, Shapes.of(v.frames()));
      }
      for (DecodeOptions o :
          new DecodeOptions[] {
            DecodeOptions.NATIVE,
            DecodeOptions.NATIVE.withFps(3),
            DecodeOptions.NATIVE.withResize(0, 6).withCrop(4, 5)
          }) {
        try (DecodedVideo v = VideoReader.decode(f, o)) {
          assertArrayEquals(
              new long[] {v.frames().size(0), v.frames().size(1), v.frames().size(2)},
              VideoReader.scan(f, o),
              "scan measures what decode returns for " + o);
        }
      }
      try (DecodedVideo v = VideoReader.decode(f, DecodeOptions.NATIVE.withCrop(10, 6))) {
        assertTrue(
            TestVideos.equal(src.narrow(1, 5, 6).narrow(2, 3, 10), v.frames()),
            "centre crop of the native frames");
      }
    }
  }

  @Test
  void badFilesAreReportedWithTheirReason() throws Exception {
    Path missing = dir.resolve("missing.mp4");
    assertReason(Reason.MISSING, missing);
    Path empty = Files.createFile(dir.resolve("empty.mp4"));
    assertReason(Reason.EMPTY, empty);
    Path text = Files.writeString(dir.resolve("text.mp4"), "this is not a video\n".repeat(20));
    assertReason(Reason.NOT_A_VIDEO, text);
    Path good = dir.resolve("good.mp4");
    try (Tensor g = TestVideos.gradient(8, 16, 16)) {
      VideoWriter.writeMp4(good, g, 8);
    }
    byte[] all = Files.readAllBytes(good);
    // cut inside the frame data: the index (written first) promises 8 frames
    Path cut =
        Files.write(dir.resolve("cut.mp4"), java.util.Arrays.copyOf(all, all.length * 3 / 4));
    assertReason(Reason.TRUNCATED, cut);
    // cut inside the index
    Path head = Files.write(dir.resolve("head.mp4"), java.util.Arrays.copyOf(all, 200));
    assertReason(Reason.TRUNCATED, head);
    assertEquals(
        Reason.TRUNCATED,
        assertThrows(BadVideoException.class, () -> VideoReader.scan(cut, DecodeOptions.NATIVE))
            .reason());
    assertArrayEquals(new long[] {8, 16, 16}, VideoReader.scan(good, DecodeOptions.NATIVE));
    try (PointerScope s = new PointerScope()) {
      BadVideoException e =
          assertThrows(
              BadVideoException.class,
              () -> VideoReader.decode(good, DecodeOptions.NATIVE.withMaxFrames(5)));
      assertEquals(Reason.TOO_LONG, e.reason());
      assertTrue(e.getMessage().contains("good.mp4"), e.getMessage());
    }
  }

  private static void assertReason(Reason reason, Path file) {
    try (PointerScope s = new PointerScope()) {
      BadVideoException e =
          assertThrows(BadVideoException.class, () -> VideoReader.decode(file).close());
      assertEquals(reason, e.reason(), e.getMessage());
      assertTrue(
          e.getMessage().contains(file.getFileName().toString()),
          "message names the file: " + e.getMessage());
      if (reason != Reason.TRUNCATED || !file.getFileName().toString().equals("cut.mp4")) {
        BadVideoException p = assertThrows(BadVideoException.class, () -> VideoReader.probe(file));
        assertEquals(reason, p.reason(), p.getMessage());
      }
    }
  }

  @Test
  void framesConvertToModelRangeAndBackExactly() {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.noise(2, 3, 4, 3);
        Tensor x = Frames.toModel(src);
        Tensor back = Frames.toBytes(x);
        Tensor back4 = Frames.toBytes(x.squeeze(0))) {
      assertArrayEquals(new long[] {1, 3, 2, 3, 4}, Shapes.of(x));
      assertTrue(x.min().item_double() >= -0.5 && x.max().item_double() <= 0.5);
      // pixel (t=1, y=2, x=3, c=1) lands at [0, 1, 1, 2, 3]
      int p = src.get(1).get(2).get(3).get(1).item_int() & 0xff;
      assertEquals(p / 255.0 - 0.5, x.get(0).get(1).get(1).get(2).get(3).item_double(), 1e-6);
      assertArrayEquals(new long[] {1, 2, 3, 4, 3}, Shapes.of(back));
      assertTrue(TestVideos.equal(src, back.squeeze(0)));
      assertTrue(TestVideos.equal(src, back4));
    }
  }

  @Test
  void writesGif() throws Exception {
    try (PointerScope s = new PointerScope();
        Tensor src = TestVideos.gradient(5, 12, 10)) {
      Path gif = dir.resolve("a.gif");
      VideoWriter.writeGif(gif, src, 10);
      try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
        ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
        r.setInput(in);
        assertEquals(5, r.getNumImages(true));
        assertEquals(10, r.getWidth(0));
        assertEquals(12, r.getHeight(0));
        r.dispose();
      }
      // FFmpeg reads it back as a 5-frame video too
      assertEquals(5, VideoReader.probe(gif).frames());
    }
  }
}
