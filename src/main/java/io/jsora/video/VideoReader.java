package io.jsora.video;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.ffmpeg.global.swscale.*;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Scopes;
import io.jsora.video.BadVideoException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Probes and decodes video files with FFmpeg. Thread-safe: each call opens its own demuxer and
 * decoder.
 *
 * <p>Every failure is a {@link BadVideoException} naming the file and the reason: missing,
 * zero-byte, not a video container, no video stream, truncated (the container promises more frames
 * than the file holds, or its index is cut off), corrupt (packets the decoder rejects) or too long
 * for {@link DecodeOptions#maxFrames()}.
 */
public final class VideoReader {
  private VideoReader() {}

  /**
   * Accurate rounding and full-resolution chroma: 4x less error on small frames than the defaults.
   */
  static final int SWS_FLAGS = SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;

  private static volatile boolean initialised;

  /**
   * Loads FFmpeg (pre-extracting its natives) and quiets its log unless {@code jsora.ffmpeg.log} is
   * set.
   */
  static void init() {
    if (initialised) {
      return;
    }
    synchronized (VideoReader.class) {
      if (!initialised) {
        Natives.loadFfmpeg();
        String level = System.getProperty("jsora.ffmpeg.log");
        av_log_set_level(level == null ? AV_LOG_QUIET : Integer.parseInt(level));
        initialised = true;
      }
    }
  }

  /** Reads a video's headers (and counts its packets when the container stores no frame count). */
  public static VideoInfo probe(Path file) throws BadVideoException {
    init();
    checkFile(file);
    try (PointerScope scope = new PointerScope()) {
      AVFormatContext fmt = open(file);
      try {
        int si = videoStream(fmt, file);
        return info(fmt, si, file, true);
      } finally {
        avformat_close_input(fmt);
      }
    }
  }

  /** Decodes every frame at its stored size. */
  public static DecodedVideo decode(Path file) throws BadVideoException {
    return decode(file, DecodeOptions.NATIVE);
  }

  /**
   * Decodes a video into {@code uint8 [T, H, W, 3]} RGB frames.
   *
   * @return the frames (caller owns) with their rate and the header information
   */
  public static DecodedVideo decode(Path file, DecodeOptions options) throws BadVideoException {
    Pass pass = run(file, options, true);
    return assemble(pass.frames(), pass.times(), pass.info(), options, pass.size());
  }

  /**
   * Decodes every frame to check the file and count what {@link #decode} would return, without
   * keeping any frame (memory stays flat whatever the video's size).
   *
   * @return {@code [T, H, W]} of the frames {@code decode(file, options)} would give
   */
  public static long[] scan(Path file, DecodeOptions options) throws BadVideoException {
    Pass pass = run(file, options, false);
    List<Double> times = pass.times();
    long t =
        options.fps() > 0
            ? resampleIndices(times, pass.info().fps(), options.fps()).length
            : times.size();
    return new long[] {t, pass.size()[0], pass.size()[1]};
  }

  /**
   * What one pass over a file found: the kept frames (empty when the pass kept none, else owned by
   * the caller), each frame's presentation time in seconds (NaN when unknown), the headers, and the
   * output {@code [h, w]} the options give.
   */
  private record Pass(List<Tensor> frames, List<Double> times, VideoInfo info, int[] size) {}

  private static Pass run(Path file, DecodeOptions options, boolean keep) throws BadVideoException {
    init();
    checkFile(file);
    List<Tensor> frames = new ArrayList<>();
    List<Double> times = new ArrayList<>();
    VideoInfo info;
    int[] out;
    try (PointerScope scope = new PointerScope()) {
      AVFormatContext fmt = open(file);
      AVCodecContext ctx = null;
      AVPacket pkt = null;
      AVFrame frame = null;
      SwsContext sws = null;
      AVFrame rgbFrame = null;
      try {
        int si = videoStream(fmt, file);
        info = info(fmt, si, file, false);
        if (options.maxFrames() > 0 && info.frames() > options.maxFrames()) {
          throw new BadVideoException(
              file,
              Reason.TOO_LONG,
              info.frames() + " frames, more than the limit of " + options.maxFrames());
        }
        AVStream st = fmt.streams(si);
        AVCodecParameters par = st.codecpar();
        AVCodec dec = avcodec_find_decoder(par.codec_id());
        if (dec == null) {
          throw new BadVideoException(
              file,
              Reason.NOT_A_VIDEO,
              "no decoder for codec " + avcodec_get_name(par.codec_id()).getString());
        }
        ctx = avcodec_alloc_context3(dec);
        check(avcodec_parameters_to_context(ctx, par), file, Reason.CORRUPT, "codec parameters");
        ctx.thread_count(options.threads());
        check(
            avcodec_open2(ctx, dec, (PointerPointer<?>) null),
            file,
            Reason.CORRUPT,
            "cannot open the " + dec.name().getString() + " decoder");
        double tb = av_q2d(st.time_base());
        pkt = av_packet_alloc();
        frame = av_frame_alloc();
        int[] resized = options.resizedSize(par.width(), par.height());
        out = options.outputSize(par.width(), par.height());
        long limit = options.maxFrames();
        boolean eof = false;
        String readError = null;
        int badPackets = 0;
        while (!eof) {
          int r = av_read_frame(fmt, pkt);
          if (r == AVERROR_EOF()) {
            eof = true;
          } else if (r < 0) {
            readError = error(r);
            eof = true;
          } else if (pkt.stream_index() != si) {
            av_packet_unref(pkt);
            continue;
          }
          int sent = avcodec_send_packet(ctx, eof ? null : pkt);
          if (!eof) {
            av_packet_unref(pkt);
          }
          if (sent < 0 && sent != AVERROR_EOF()) {
            // a damaged packet: keep going, and judge at the end by what decoded
            readError = "the decoder rejected a packet: " + error(sent);
            badPackets++;
            continue;
          }
          while (true) {
            int rr = avcodec_receive_frame(ctx, frame);
            if (rr == AVERROR_EAGAIN() || rr == AVERROR_EOF()) {
              break;
            }
            if (rr < 0) {
              readError = error(rr);
              break;
            }
            if (limit > 0 && times.size() >= limit) {
              throw new BadVideoException(
                  file, Reason.TOO_LONG, "more than the limit of " + limit + " frames");
            }
            long ts = frame.best_effort_timestamp();
            times.add(ts == AV_NOPTS_VALUE ? Double.NaN : ts * tb);
            if (!keep) {
              av_frame_unref(frame);
              continue;
            }
            sws =
                sws_getCachedContext(
                    sws,
                    frame.width(),
                    frame.height(),
                    frame.format(),
                    resized[1],
                    resized[0],
                    AV_PIX_FMT_RGB24,
                    SWS_FLAGS
                        | (resized[1] * resized[0] < frame.width() * frame.height()
                            ? SWS_AREA
                            : SWS_BICUBIC),
                    null,
                    null,
                    (DoublePointer) null);
            if (sws == null) {
              throw new BadVideoException(
                  file, Reason.CORRUPT, "unsupported pixel format " + frame.format());
            }
            if (rgbFrame == null) {
              // swscale's SIMD paths need aligned, padded lines: convert into an FFmpeg-allocated
              // frame
              rgbFrame = av_frame_alloc();
              rgbFrame.format(AV_PIX_FMT_RGB24).width(resized[1]).height(resized[0]);
              check(av_frame_get_buffer(rgbFrame, 0), file, Reason.CORRUPT, "frame buffer");
            }
            sws_scale(
                sws,
                frame.data(),
                frame.linesize(),
                0,
                frame.height(),
                rgbFrame.data(),
                rgbFrame.linesize());
            Tensor rgb =
                Scopes.keep(
                    torch.empty(
                        new long[] {resized[0], resized[1], 3},
                        new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte),
                        new org.bytedeco.pytorch.MemoryFormatOptional()));
            frames.add(rgb);
            // one native copy per frame, from the padded lines into the tensor's packed rows
            av_image_copy_plane(
                new BytePointer(rgb.data_ptr()),
                resized[1] * 3,
                rgbFrame.data(0),
                rgbFrame.linesize(0),
                resized[1] * 3,
                resized[0]);
            av_frame_unref(frame);
          }
        }
        long promised = st.nb_frames();
        if (times.isEmpty() && promised <= 0) {
          throw new BadVideoException(
              file,
              Reason.CORRUPT,
              "no frame could be decoded" + (readError != null ? " (" + readError + ")" : ""));
        }
        if (promised > 0 && times.size() < promised) {
          throw new BadVideoException(
              file,
              Reason.TRUNCATED,
              "decoded "
                  + times.size()
                  + " of the "
                  + promised
                  + " frames the container lists"
                  + (readError != null ? " (" + readError + ")" : ""));
        }
        if (readError != null && promised <= 0) {
          throw new BadVideoException(
              file,
              Reason.CORRUPT,
              "read error after "
                  + times.size()
                  + " frames, "
                  + badPackets
                  + " damaged packet(s) ("
                  + readError
                  + ")");
        }
      } catch (BadVideoException e) {
        Scopes.closeAll(frames);
        throw e;
      } catch (RuntimeException e) {
        Scopes.closeAll(frames);
        throw e;
      } finally {
        if (sws != null) {
          sws_freeContext(sws);
        }
        if (frame != null) {
          av_frame_free(frame);
        }
        if (rgbFrame != null) {
          av_frame_free(rgbFrame);
        }
        if (pkt != null) {
          av_packet_free(pkt);
        }
        if (ctx != null) {
          avcodec_free_context(ctx);
        }
        avformat_close_input(fmt);
      }
    }
    return new Pass(frames, times, info, out);
  }

  private static DecodedVideo assemble(
      List<Tensor> frames, List<Double> times, VideoInfo info, DecodeOptions options, int[] out) {
    try (PointerScope scope = new PointerScope()) {
      TensorVector tv = new TensorVector(frames.toArray(new Tensor[0]));
      Tensor all = torch.stack(tv, 0); // (T, h, w, 3)
      Scopes.closeAll(frames);
      double fps = info.fps();
      if (options.fps() > 0) {
        long[] idx = resampleIndices(times, info.fps(), options.fps());
        all = all.index_select(0, io.jsora.tensor.Tensors.of(idx, idx.length)); // (T', h, w, 3)
        fps = options.fps();
      }
      long h = all.size(1);
      long w = all.size(2);
      if (out[0] < h) {
        all = all.narrow(1, (h - out[0]) / 2, out[0]); // (T, ch, w, 3)
      }
      if (out[1] < w) {
        all = all.narrow(2, (w - out[1]) / 2, out[1]); // (T, ch, cw, 3)
      }
      Tensor result = Scopes.keep(all.contiguous());
      return new DecodedVideo(result, fps, info);
    }
  }

  /**
   * For each output time {@code k / fps}, the index of the last frame shown at or before it. Frames
   * without timestamps are placed at {@code i / srcFps}.
   */
  static long[] resampleIndices(List<Double> times, double srcFps, double fps) {
    int n = times.size();
    double[] t = new double[n];
    double step = srcFps > 0 ? 1.0 / srcFps : 0;
    double t0 = Double.isNaN(times.get(0)) ? 0 : times.get(0);
    for (int i = 0; i < n; i++) {
      double ti = times.get(i);
      t[i] = Double.isNaN(ti) ? i * step : ti - t0;
    }
    if (step == 0) {
      step = n > 1 ? t[n - 1] / (n - 1) : 1;
    }
    double duration = t[n - 1] + step;
    int outN = Math.max(1, (int) Math.ceil(duration * fps - 1e-6));
    long[] idx = new long[outN];
    int j = 0;
    for (int k = 0; k < outN; k++) {
      double tk = k / fps + 1e-6;
      while (j + 1 < n && t[j + 1] <= tk) {
        j++;
      }
      idx[k] = j;
    }
    return idx;
  }

  private static void checkFile(Path file) throws BadVideoException {
    if (!Files.exists(file)) {
      throw new BadVideoException(file, Reason.MISSING, "no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new BadVideoException(file, Reason.NOT_A_VIDEO, "not a regular file");
    }
    try {
      if (Files.size(file) == 0) {
        throw new BadVideoException(file, Reason.EMPTY, "zero-byte file");
      }
    } catch (BadVideoException e) {
      throw e;
    } catch (IOException e) {
      throw new BadVideoException(file, Reason.MISSING, "cannot read (" + e.getMessage() + ")");
    }
  }

  private static AVFormatContext open(Path file) throws BadVideoException {
    AVFormatContext fmt = new AVFormatContext(null);
    int r = avformat_open_input(fmt, file.toString(), null, null);
    if (r < 0) {
      String container = knownContainer(file);
      if (container != null) {
        throw new BadVideoException(
            file,
            Reason.TRUNCATED,
            "looks like "
                + container
                + " but FFmpeg cannot read its index ("
                + error(r)
                + "); the file is probably cut short");
      }
      throw new BadVideoException(
          file, Reason.NOT_A_VIDEO, "not a video FFmpeg can read (" + error(r) + ")");
    }
    r = avformat_find_stream_info(fmt, (PointerPointer<?>) null);
    if (r < 0) {
      avformat_close_input(fmt);
      throw new BadVideoException(
          file, Reason.CORRUPT, "cannot read stream information (" + error(r) + ")");
    }
    return fmt;
  }

  private static int videoStream(AVFormatContext fmt, Path file) throws BadVideoException {
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
    if (si < 0) {
      StringBuilder types = new StringBuilder();
      boolean video = false;
      for (int i = 0; i < fmt.nb_streams(); i++) {
        int type = fmt.streams(i).codecpar().codec_type();
        video |= type == AVMEDIA_TYPE_VIDEO;
        types
            .append(i == 0 ? "" : ", ")
            .append(
                av_get_media_type_string(type) == null
                    ? "unknown"
                    : av_get_media_type_string(type).getString());
      }
      if (video
          || knownContainer(file) != null
              && fmt.nb_streams() > 0
              && !types.toString().contains("audio")) {
        throw new BadVideoException(
            file,
            Reason.TRUNCATED,
            "its video stream has no usable parameters ("
                + error(si)
                + "); the file is probably cut short");
      }
      throw new BadVideoException(
          file,
          Reason.NO_VIDEO_STREAM,
          "no video stream (streams: " + (types.length() == 0 ? "none" : types) + ")");
    }
    return si;
  }

  private static VideoInfo info(AVFormatContext fmt, int si, Path file, boolean countPackets)
      throws BadVideoException {
    AVStream st = fmt.streams(si);
    AVCodecParameters par = st.codecpar();
    double fps = rate(st.avg_frame_rate());
    if (fps <= 0) {
      fps = rate(st.r_frame_rate());
    }
    double duration =
        st.duration() != AV_NOPTS_VALUE
            ? st.duration() * av_q2d(st.time_base())
            : fmt.duration() != AV_NOPTS_VALUE ? fmt.duration() / (double) AV_TIME_BASE : 0;
    long frames = st.nb_frames();
    if (frames <= 0 && countPackets) {
      frames = countPackets(fmt, si, file);
    } else if (frames <= 0 && fps > 0 && duration > 0) {
      frames = Math.round(duration * fps);
    }
    return new VideoInfo(
        file,
        fmt.iformat().name().getString(),
        avcodec_get_name(par.codec_id()).getString(),
        par.width(),
        par.height(),
        Math.max(frames, 0),
        fps,
        duration);
  }

  private static long countPackets(AVFormatContext fmt, int si, Path file) {
    AVPacket pkt = av_packet_alloc();
    try {
      long n = 0;
      while (av_read_frame(fmt, pkt) >= 0) {
        if (pkt.stream_index() == si) {
          n++;
        }
        av_packet_unref(pkt);
      }
      return n;
    } finally {
      av_packet_free(pkt);
    }
  }

  private static double rate(AVRational q) {
    return q.den() == 0 ? 0 : q.num() / (double) q.den();
  }

  private static void check(int r, Path file, Reason reason, String what) throws BadVideoException {
    if (r < 0) {
      throw new BadVideoException(file, reason, what + " (" + error(r) + ")");
    }
  }

  /** FFmpeg's text for an error code. */
  static String error(int code) {
    byte[] buf = new byte[256];
    av_strerror(code, buf, buf.length);
    int n = 0;
    while (n < buf.length && buf[n] != 0) {
      n++;
    }
    return new String(buf, 0, n, StandardCharsets.UTF_8) + " [" + code + "]";
  }

  /** The container a file's first bytes announce, or null. */
  private static String knownContainer(Path file) {
    byte[] head = new byte[12];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      return null;
    }
    if (n >= 8 && head[4] == 'f' && head[5] == 't' && head[6] == 'y' && head[7] == 'p') {
      return "an MP4/QuickTime file";
    }
    if (n >= 4
        && (head[0] & 0xff) == 0x1A
        && (head[1] & 0xff) == 0x45
        && (head[2] & 0xff) == 0xDF
        && (head[3] & 0xff) == 0xA3) {
      return "a Matroska/WebM file";
    }
    if (n >= 12
        && head[0] == 'R'
        && head[1] == 'I'
        && head[2] == 'F'
        && head[3] == 'F'
        && head[8] == 'A'
        && head[9] == 'V') {
      return "an AVI file";
    }
    return null;
  }
}
