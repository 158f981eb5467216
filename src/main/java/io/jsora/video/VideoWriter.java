package io.jsora.video;

import static org.bytedeco.ffmpeg.global.avcodec.*;
import static org.bytedeco.ffmpeg.global.avformat.*;
import static org.bytedeco.ffmpeg.global.avutil.*;
import static org.bytedeco.ffmpeg.global.swscale.*;

import io.jsora.checkpoint.AtomicFiles;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Writes {@code uint8 [T, H, W, 3]} RGB frames as video files and animated GIFs (contact sheets:
 * {@link ContactSheet}). Files appear atomically (written beside the target, then renamed).
 */
public final class VideoWriter {
  private VideoWriter() {}

  /**
   * Writes an H.264 MP4 (yuv420p, OpenH264 at high quality). yuv420p stores colour at half
   * resolution, so an odd width or height is padded by repeating the last column or row.
   *
   * @return the size written, {@code [height, width]}
   */
  public static int[] writeMp4(Path file, Tensor frames, double fps) throws IOException {
    return write(file, frames, fps, VideoFormat.H264_MP4);
  }

  /**
   * Writes {@code frames} ({@code uint8 [T, H, W, 3]}, CPU) in {@code format} at {@code fps}.
   *
   * @return the size written, {@code [height, width]} (padded to even where the format needs it)
   */
  public static int[] write(Path file, Tensor frames, double fps, VideoFormat format)
      throws IOException {
    VideoReader.init();
    checkFrames(frames);
    if (!(fps > 0) || fps > 1000) {
      throw new IllegalArgumentException(file + ": fps must be in (0, 1000], got " + fps);
    }
    Path abs = file.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".partial." + format.extension());
    int[] size;
    try (PointerScope scope = new PointerScope()) {
      Tensor src = frames.contiguous();
      long[] s = Shapes.of(src);
      int h = (int) s[1];
      int w = (int) s[2];
      if (format.needsEvenSize() && (h % 2 == 1 || w % 2 == 1)) {
        // replicate the last row/column: (T, H, W, 3) -> (T, H+h%2, W+w%2, 3)
        if (h % 2 == 1) {
          src = torch.cat(new org.bytedeco.pytorch.TensorVector(src, src.narrow(1, h - 1, 1)), 1);
          h++;
        }
        if (w % 2 == 1) {
          src = torch.cat(new org.bytedeco.pytorch.TensorVector(src, src.narrow(2, w - 1, 1)), 2);
          w++;
        }
        src = src.contiguous();
      }
      encode(tmp, src, (int) s[0], h, w, fps, format);
      size = new int[] {h, w};
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    AtomicFiles.moveAtomically(tmp, abs);
    return size;
  }

  private static void encode(
      Path file, Tensor src, int t, int h, int w, double fps, VideoFormat format)
      throws IOException {
    AVFormatContext oc = new AVFormatContext(null);
    check(
        avformat_alloc_output_context2(oc, null, format.muxer, file.toString()),
        file,
        "no " + format.muxer + " muxer");
    AVCodecContext c = null;
    AVFrame frame = null;
    AVFrame rgb = null;
    AVPacket pkt = null;
    SwsContext sws = null;
    boolean opened = false;
    try {
      AVCodec enc = avcodec_find_encoder_by_name(format.encoder);
      if (enc == null) {
        throw new IOException(file + ": this FFmpeg build has no " + format.encoder + " encoder");
      }
      AVStream st = avformat_new_stream(oc, null);
      c = avcodec_alloc_context3(enc);
      AVRational rate = av_d2q(fps, 100_000);
      c.width(w).height(h).pix_fmt(format.pixelFormat);
      c.time_base(av_make_q(rate.den(), rate.num()));
      c.framerate(rate);
      c.gop_size(Math.max(1, (int) Math.round(fps * 2)));
      c.thread_count(1);
      if ((oc.oformat().flags() & AVFMT_GLOBALHEADER) != 0) {
        c.flags(c.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
      }
      AVDictionary opts = new AVDictionary(null);
      switch (format) {
        case H264_MP4 -> {
          // near-transparent quality: small clips are worth the bytes
          av_dict_set(opts, "rc_mode", "quality", 0);
          av_dict_set(opts, "qmin", "1", 0);
          av_dict_set(opts, "qmax", "18", 0);
          av_dict_set(
              opts, "b", String.valueOf(Math.max(2_000_000L, (long) (w * (long) h * fps * 4))), 0);
          av_dict_set(opts, "allow_skip_frames", "0", 0);
        }
        case MPEG4_AVI -> av_dict_set(opts, "qscale", "2", 0);
        case MJPEG_AVI -> av_dict_set(opts, "qscale", "2", 0);
        case VP9_WEBM -> {
          av_dict_set(opts, "crf", "10", 0);
          av_dict_set(opts, "b", "0", 0);
          av_dict_set(opts, "deadline", "realtime", 0);
        }
        default -> {}
      }
      if (format == VideoFormat.MPEG4_AVI || format == VideoFormat.MJPEG_AVI) {
        c.flags(c.flags() | AV_CODEC_FLAG_QSCALE);
        c.global_quality(FF_QP2LAMBDA * 2);
      }
      int r = avcodec_open2(c, enc, opts);
      av_dict_free(opts);
      check(r, file, "cannot open the " + format.encoder + " encoder for " + w + "x" + h);
      check(avcodec_parameters_from_context(st.codecpar(), c), file, "codec parameters");
      st.time_base(c.time_base());
      st.avg_frame_rate(rate);
      AVIOContext pb = new AVIOContext(null);
      check(avio_open(pb, file.toString(), AVIO_FLAG_WRITE), file, "cannot open for writing");
      oc.pb(pb);
      opened = true;
      AVDictionary mux = new AVDictionary(null);
      if (format == VideoFormat.H264_MP4) {
        av_dict_set(mux, "movflags", "+faststart", 0);
      }
      r = avformat_write_header(oc, mux);
      av_dict_free(mux);
      check(r, file, "cannot write the " + format.muxer + " header");

      frame = av_frame_alloc();
      frame.format(format.pixelFormat).width(w).height(h);
      check(av_frame_get_buffer(frame, 0), file, "frame buffer");
      pkt = av_packet_alloc();
      sws =
          sws_getContext(
              w,
              h,
              AV_PIX_FMT_RGB24,
              w,
              h,
              format.pixelFormat,
              VideoReader.SWS_FLAGS | SWS_BICUBIC,
              null,
              null,
              (DoublePointer) null);
      if (sws == null) {
        throw new IOException(file + ": cannot convert RGB to the encoder's pixel format");
      }
      // swscale's SIMD paths need aligned, padded lines: stage each frame in an FFmpeg-allocated
      // RGB frame
      rgb = av_frame_alloc();
      rgb.format(AV_PIX_FMT_RGB24).width(w).height(h);
      check(av_frame_get_buffer(rgb, 0), file, "frame buffer");
      long frameBytes = (long) h * w * 3;
      BytePointer base = new BytePointer(src.data_ptr());
      for (int i = 0; i < t; i++) {
        check(av_frame_make_writable(frame), file, "frame buffer");
        // one native copy per frame from tensor memory, then one conversion
        av_image_copy_plane(
            rgb.data(0),
            rgb.linesize(0),
            new BytePointer(base).position(i * frameBytes),
            w * 3,
            w * 3,
            h);
        sws_scale(sws, rgb.data(), rgb.linesize(), 0, h, frame.data(), frame.linesize());
        frame.pts(i);
        check(avcodec_send_frame(c, frame), file, "encoding frame " + i);
        drain(oc, c, st, pkt, file);
      }
      check(avcodec_send_frame(c, null), file, "flushing the encoder");
      drain(oc, c, st, pkt, file);
      check(av_write_trailer(oc), file, "cannot write the trailer");
    } finally {
      if (sws != null) {
        sws_freeContext(sws);
      }
      if (pkt != null) {
        av_packet_free(pkt);
      }
      if (frame != null) {
        av_frame_free(frame);
      }
      if (rgb != null) {
        av_frame_free(rgb);
      }
      if (c != null) {
        avcodec_free_context(c);
      }
      if (opened) {
        avio_closep(oc.pb());
      }
      avformat_free_context(oc);
    }
  }

  private static void drain(
      AVFormatContext oc, AVCodecContext c, AVStream st, AVPacket pkt, Path file)
      throws IOException {
    while (true) {
      int r = avcodec_receive_packet(c, pkt);
      if (r == AVERROR_EAGAIN() || r == AVERROR_EOF()) {
        return;
      }
      check(r, file, "encoding");
      av_packet_rescale_ts(pkt, c.time_base(), st.time_base());
      pkt.stream_index(st.index());
      r = av_interleaved_write_frame(oc, pkt);
      check(r, file, "writing a packet");
    }
  }

  /**
   * Writes an animated GIF that loops forever (JDK encoder; each frame gets its own 256-colour
   * palette).
   */
  public static void writeGif(Path file, Tensor frames, double fps) throws IOException {
    checkFrames(frames);
    if (!(fps > 0)) {
      throw new IllegalArgumentException(file + ": fps must be > 0, got " + fps);
    }
    byte[] all = bytes(frames);
    long[] s = Shapes.of(frames);
    int t = (int) s[0];
    int h = (int) s[1];
    int w = (int) s[2];
    int delayCs = Math.max(1, (int) Math.round(100.0 / fps));
    AtomicFiles.write(
        file,
        ch -> {
          ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
          try (ImageOutputStream ios =
              ImageIO.createImageOutputStream(java.nio.channels.Channels.newOutputStream(ch))) {
            writer.setOutput(ios);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < t; i++) {
              int frameBytes = h * w * 3;
              BufferedImage img =
                  image(
                      java.util.Arrays.copyOfRange(all, i * frameBytes, (i + 1) * frameBytes),
                      h,
                      w);
              ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(img);
              IIOMetadata meta = writer.getDefaultImageMetadata(type, null);
              String fmt = meta.getNativeMetadataFormatName();
              IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(fmt);
              IIOMetadataNode gce = child(root, "GraphicControlExtension");
              gce.setAttribute("disposalMethod", "none");
              gce.setAttribute("userInputFlag", "FALSE");
              gce.setAttribute("transparentColorFlag", "FALSE");
              gce.setAttribute("delayTime", Integer.toString(delayCs));
              gce.setAttribute("transparentColorIndex", "0");
              if (i == 0) {
                IIOMetadataNode apps = child(root, "ApplicationExtensions");
                IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                app.setAttribute("applicationID", "NETSCAPE");
                app.setAttribute("authenticationCode", "2.0");
                app.setUserObject(new byte[] {1, 0, 0});
                apps.appendChild(app);
              }
              meta.setFromTree(fmt, root);
              writer.writeToSequence(new IIOImage(img, null, meta), null);
            }
            writer.endWriteSequence();
          } finally {
            writer.dispose();
          }
        });
  }

  private static IIOMetadataNode child(IIOMetadataNode root, String name) {
    for (int i = 0; i < root.getLength(); i++) {
      if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
        return (IIOMetadataNode) root.item(i);
      }
    }
    IIOMetadataNode n = new IIOMetadataNode(name);
    root.appendChild(n);
    return n;
  }

  /** An RGB image viewing the {@code h*w*3} bytes of {@code data} (no per-pixel copy). */
  static BufferedImage image(byte[] data, int h, int w) {
    DataBufferByte buf = new DataBufferByte(data, h * w * 3);
    WritableRaster raster =
        Raster.createInterleavedRaster(buf, w, h, w * 3, 3, new int[] {0, 1, 2}, null);
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_BYTE);
    return new BufferedImage(cm, raster, false, null);
  }

  /** The tensor's bytes in row-major order (one native copy). */
  static byte[] bytes(Tensor u8) {
    try (PointerScope scope = new PointerScope()) {
      Tensor c = u8.contiguous();
      byte[] out = new byte[Math.toIntExact(c.numel())];
      new BytePointer(c.data_ptr()).get(out);
      return out;
    }
  }

  private static void checkFrames(Tensor frames) {
    long[] s = Shapes.of(frames);
    if (s.length != 4 || s[3] != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1) {
      throw new IllegalArgumentException(
          "frames: expected shape [T, H, W, 3] with T, H, W >= 1, found " + Shapes.format(s));
    }
    if (DType.of(frames) != DType.U8) {
      throw new IllegalArgumentException("frames: expected dtype U8, found " + DType.of(frames));
    }
    if (frames.is_cuda()) {
      throw new IllegalArgumentException("frames: expected a CPU tensor (call .cpu() first)");
    }
  }

  private static void check(int r, Path file, String what) throws IOException {
    if (r < 0) {
      throw new IOException(file + ": " + what + " (" + VideoReader.error(r) + ")");
    }
  }
}
