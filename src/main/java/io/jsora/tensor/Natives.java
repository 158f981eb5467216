package io.jsora.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads libtorch once per process and applies the thread settings.
 *
 * <p>Two things happen before the first tensor op:
 *
 * <ul>
 *   <li>The native libraries are extracted to JavaCPP's cache as a whole before any is loaded. On a
 *       machine with an empty cache, letting JavaCPP extract and load library by library made the
 *       JVM crash inside {@code dlopen} (libtorch.so was loaded before libtorch_cpu.so existed on
 *       disk); extracting the directory first avoids it.
 *   <li>Thread counts: {@code JSORA_THREADS} (or {@code -Djsora.threads}) sets torch's intra-op
 *       pool, default all cores; {@code OPENBLAS_NUM_THREADS} (or {@code -Djsora.blasThreads}) sets
 *       OpenBLAS's own pool, default the same count: one matrix product runs in OpenBLAS alone, so
 *       one OpenBLAS thread caps every linear layer at one core. Measured with {@code jsora bench
 *       train} on 2 cores (README, Performance): 2 OpenBLAS threads made DiT-S/8 steps 1.6× and the
 *       demo's small steps 1.07× faster than 1, provided OpenMP idles passively ({@code
 *       OMP_WAIT_POLICY=PASSIVE}, which the launcher sets; spinning made the small steps 6×
 *       slower).
 * </ul>
 */
public final class Natives {
  private static final Logger log = LoggerFactory.getLogger(Natives.class);
  private static volatile boolean loaded;

  private Natives() {}

  /** Extracts and loads libtorch and OpenBLAS, then applies thread settings. Idempotent. */
  public static void load() {
    if (loaded) {
      return;
    }
    synchronized (Natives.class) {
      if (loaded) {
        return;
      }
      String platform = Loader.getPlatform();
      for (String dir :
          new String[] {
            "/org/bytedeco/pytorch/" + platform + "/", "/org/bytedeco/pytorch/" + platform + "-gpu/"
          }) {
        if (torch.class.getResource(dir) != null) {
          cache(torch.class, dir);
        }
      }
      if (openblas_nolapack.class.getResource("/org/bytedeco/openblas/" + platform + "/") != null) {
        cache(openblas_nolapack.class, "/org/bytedeco/openblas/" + platform + "/");
      }
      Loader.load(openblas_nolapack.class);
      Loader.load(torch.class);
      applyThreads();
      loaded = true;
    }
  }

  private static volatile boolean ffmpegLoaded;

  /**
   * Extracts and loads FFmpeg's libraries (same first-extraction precaution as libtorch). Kept
   * apart from {@link #load()} so commands that never touch video do not pay for it.
   */
  public static void loadFfmpeg() {
    if (ffmpegLoaded) {
      return;
    }
    synchronized (Natives.class) {
      if (ffmpegLoaded) {
        return;
      }
      Class<?> avformat = org.bytedeco.ffmpeg.global.avformat.class;
      String dir = "/org/bytedeco/ffmpeg/" + Loader.getPlatform() + "/";
      if (avformat.getResource(dir) != null) {
        cache(avformat, dir);
      }
      Loader.load(org.bytedeco.ffmpeg.global.avutil.class);
      Loader.load(org.bytedeco.ffmpeg.global.avcodec.class);
      Loader.load(avformat);
      Loader.load(org.bytedeco.ffmpeg.global.swscale.class);
      ffmpegLoaded = true;
    }
  }

  /** FFmpeg's version string, e.g. {@code 8.0.1}. */
  public static String ffmpegVersion() {
    loadFfmpeg();
    return org.bytedeco.ffmpeg.global.avutil.av_version_info().getString();
  }

  private static void cache(Class<?> owner, String dir) {
    try {
      Loader.cacheResources(owner, dir);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot extract native libraries " + dir + " to the JavaCPP cache", e);
    }
  }

  private static void applyThreads() {
    int threads =
        intSetting("jsora.threads", "JSORA_THREADS", Runtime.getRuntime().availableProcessors());
    torch.set_num_threads(threads);
    int blas = intSetting("jsora.blasThreads", "OPENBLAS_NUM_THREADS", threads);
    openblas_nolapack.blas_set_num_threads(blas);
    String wait = System.getenv("OMP_WAIT_POLICY");
    if (threads > 1 && !"PASSIVE".equalsIgnoreCase(wait)) {
      log.debug(
          "OMP_WAIT_POLICY={} (PASSIVE is much faster on small machines; ./jsora sets it)", wait);
    }
  }

  /** Sets torch's intra-op thread count (global for the process). */
  public static void setThreads(int n) {
    load();
    if (n < 1) {
      throw new IllegalArgumentException("thread count must be >= 1, got " + n);
    }
    torch.set_num_threads(n);
  }

  /** torch's intra-op thread count. */
  public static int threads() {
    load();
    return torch.get_num_threads();
  }

  /** OpenBLAS's own thread count. */
  public static int blasThreads() {
    load();
    return openblas_nolapack.blas_get_num_threads();
  }

  /** The version of the libtorch build, e.g. {@code 2.10.0-1.5.13}. */
  public static String torchVersion() {
    try {
      String v = Loader.getVersion("org.bytedeco", "pytorch");
      return v == null ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }

  static int intSetting(String property, String env, int fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      v = System.getenv(env);
    }
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(env + " must be a positive integer, got '" + v + "'", e);
    }
  }
}
