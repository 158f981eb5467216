package io.jsora.data;

import io.jsora.video.TestVideos;
import io.jsora.video.VideoFormat;
import io.jsora.video.VideoWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;

/** A video directory with good and bad files, and a JSONL captions file with one bad line. */
public final class PreprocessFixtures {
  private PreprocessFixtures() {}

  /** Good videos and their captions, in file order, and what each bad one should be skipped for. */
  public static final String CAPTIONS_JSONL =
      String.join(
              "\n",
              "{\"file\": \"a.mp4\", \"captions\": [\"a red circle moving left\", \"red ball rolls\"]}",
              "{\"file\": \"b.mkv\", \"captions\": [\"odd sized noise\"]}",
              "{\"file\": \"trunc.mp4\", \"captions\": [\"cut short\"]}",
              "{\"file\": \"c.avi\", \"captions\": [\"motion jpeg\"]",
              "{\"file\": \"empty.mp4\", \"captions\": [\"nothing\"]}",
              "{\"file\": \"text.mp4\", \"captions\": [\"not a video\"]}",
              "{\"file\": \"missing.mp4\", \"captions\": [\"gone\"]}",
              "",
              "{\"file\": \"one.mp4\", \"captions\": [\"a single frame\"]}",
              "{\"file\": \"long.mp4\", \"captions\": [\"too long\"]}",
              "{\"file\": \"c.avi\", \"captions\": [\"motion jpeg again\"]}",
              "{\"file\": \"a.mp4\", \"captions\": [\"more about a\"]}")
          + "\n";

  /** Writes the videos and {@code captions.jsonl} into {@code dir}; returns the captions file. */
  public static Path write(Path dir) throws IOException {
    Path videos = dir.resolve("videos");
    Files.createDirectories(videos);
    try (Tensor a = TestVideos.gradient(8, 16, 16);
        Tensor b = TestVideos.noise(5, 13, 17, 11);
        Tensor c = TestVideos.gradient(4, 16, 24);
        Tensor one = TestVideos.gradient(1, 16, 16);
        Tensor lng = TestVideos.gradient(12, 16, 16)) {
      VideoWriter.writeMp4(videos.resolve("a.mp4"), a, 8);
      VideoWriter.write(videos.resolve("b.mkv"), b, 10, VideoFormat.FFV1_MKV);
      VideoWriter.write(videos.resolve("c.avi"), c, 8, VideoFormat.MJPEG_AVI);
      VideoWriter.writeMp4(videos.resolve("one.mp4"), one, 8);
      VideoWriter.writeMp4(videos.resolve("long.mp4"), lng, 8);
      VideoWriter.writeMp4(videos.resolve("full.mp4"), a, 8);
    }
    byte[] full = Files.readAllBytes(videos.resolve("full.mp4"));
    Files.write(videos.resolve("trunc.mp4"), Arrays.copyOf(full, full.length * 2 / 3));
    Files.delete(videos.resolve("full.mp4"));
    Files.createFile(videos.resolve("empty.mp4"));
    Files.writeString(videos.resolve("text.mp4"), "just some text, not a video\n".repeat(10));
    Path captions = dir.resolve("captions.jsonl");
    Files.writeString(captions, CAPTIONS_JSONL);
    return captions;
  }
}
