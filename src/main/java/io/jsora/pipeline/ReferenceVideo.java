package io.jsora.pipeline;

import io.jsora.video.BadVideoException;
import io.jsora.video.DecodeOptions;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;

/**
 * A reference image or video read as upstream's {@code read_from_path(..., "resize_crop")} reads
 * it: scaled so that it covers the target size (aspect ratio kept), then centre-cropped to it;
 * every frame of a video, one frame of an image. FFmpeg reads both (PNG and JPEG through its image
 * demuxer); its crop offset is {@code ⌊(s − t)/2⌋} where upstream rounds, at most a pixel apart.
 */
public final class ReferenceVideo {
  private ReferenceVideo() {}

  /**
   * The frames of {@code file} at {@code height × width}.
   *
   * @return {@code uint8 [T, height, width, 3]} on the CPU; caller owns it
   * @throws BadVideoException naming the file when FFmpeg cannot read it
   */
  public static Tensor read(Path file, int height, int width) throws BadVideoException {
    VideoInfo info = VideoReader.probe(file);
    int[] cover = cover(info.height(), info.width(), height, width);
    DecodeOptions o = new DecodeOptions(0, cover[1], cover[0], width, height, 0, 1);
    DecodedVideo v = VideoReader.decode(file, o);
    return v.frames();
  }

  /**
   * {@code {h, w}} that covers {@code th × tw} with the aspect ratio of {@code h × w}: the side
   * with the larger scale is set to the target, the other scaled and rounded (upstream's {@code
   * resize_crop_to_fill}).
   */
  static int[] cover(int h, int w, int th, int tw) {
    double rh = (double) th / h;
    double rw = (double) tw / w;
    return rh > rw
        ? new int[] {th, (int) Math.round(w * rh)}
        : new int[] {(int) Math.round(h * rw), tw};
  }
}
