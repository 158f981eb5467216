package io.jsora.video;

import static org.bytedeco.ffmpeg.global.avutil.*;

/**
 * Container + codec presets the writer knows. {@link #H264_MP4} is what jsora writes for people;
 * the lossless {@link #FFV1_MKV} keeps exact pixels (tests, archives); the others exist so the
 * readers can be tested on what other tools produce.
 */
public enum VideoFormat {
  /** H.264 (OpenH264) in MP4, yuv420p: plays everywhere. Odd sizes are padded to even. */
  H264_MP4("mp4", "libopenh264", AV_PIX_FMT_YUV420P, true, "mp4"),
  /** MPEG-4 part 2 in AVI, yuv420p. */
  MPEG4_AVI("avi", "mpeg4", AV_PIX_FMT_YUV420P, true, "avi"),
  /** Motion JPEG in AVI. */
  MJPEG_AVI("avi", "mjpeg", AV_PIX_FMT_YUVJ444P, false, "avi"),
  /** VP9 in WebM, yuv420p. */
  VP9_WEBM("webm", "libvpx-vp9", AV_PIX_FMT_YUV420P, true, "webm"),
  /** FFV1 in Matroska, RGB: lossless, any size. */
  FFV1_MKV("matroska", "ffv1", AV_PIX_FMT_0RGB32, false, "mkv");

  final String muxer;
  final String encoder;
  final int pixelFormat;
  final boolean evenSize;
  final String extension;

  VideoFormat(String muxer, String encoder, int pixelFormat, boolean evenSize, String extension) {
    this.muxer = muxer;
    this.encoder = encoder;
    this.pixelFormat = pixelFormat;
    this.evenSize = evenSize;
    this.extension = extension;
  }

  /** The usual file extension, without the dot. */
  public String extension() {
    return extension;
  }

  /**
   * Whether the pixel format stores colour at half resolution, so width and height must be even.
   */
  public boolean needsEvenSize() {
    return evenSize;
  }
}
