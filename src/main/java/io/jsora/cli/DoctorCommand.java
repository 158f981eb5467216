package io.jsora.cli;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.Pointer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Prints what jsora runs on, and what is missing. */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description =
        "Print versions (Java, libtorch, FFmpeg, Arrow), the device, thread settings and free memory; exit 1 if a native library cannot load.")
public final class DoctorCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    int missing = 0;
    row(out, "jsora", Versions.jsora());
    row(
        out,
        "Java",
        System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ", "
            + System.getProperty("java.home")
            + ")");
    row(
        out,
        "OS",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.arch")
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores");
    String torch = null;
    try {
      Natives.load();
      torch = Natives.torchVersion() + (Devices.isGpuBuild() ? " (GPU build)" : " (CPU build)");
      row(out, "libtorch", torch);
    } catch (Throwable t) {
      missing++;
      row(
          out,
          "libtorch",
          "MISSING: "
              + reason(t)
              + " (the org.bytedeco:pytorch natives for "
              + org.bytedeco.javacpp.Loader.getPlatform()
              + " must be on the class path)");
    }
    try {
      row(out, "FFmpeg", Natives.ffmpegVersion());
    } catch (Throwable t) {
      missing++;
      row(out, "FFmpeg", "MISSING: " + reason(t) + " (org.bytedeco:ffmpeg natives)");
    }
    row(out, "Arrow", Versions.maven("org.apache.arrow", "arrow-vector"));
    row(out, "tokenizers", Versions.tokenizers() + " (Hugging Face tokenizers through DJL)");
    if (torch != null) {
      row(out, "device", device());
      String wait = System.getenv("OMP_WAIT_POLICY");
      String blas = System.getenv("OPENBLAS_NUM_THREADS");
      row(
          out,
          "threads",
          "torch intra-op "
              + Natives.threads()
              + ", OpenBLAS "
              + Natives.blasThreads()
              + (blas == null ? " (default)" : " (OPENBLAS_NUM_THREADS=" + blas + ")")
              + ", OMP_WAIT_POLICY="
              + (wait == null ? "unset (PASSIVE recommended)" : wait));
    }
    Runtime rt = Runtime.getRuntime();
    row(
        out,
        "memory",
        String.format(
            Locale.ROOT,
            "%s available of %s physical; JVM heap max %s; native limit %s",
            gib(Pointer.availablePhysicalBytes()),
            gib(Pointer.totalPhysicalBytes()),
            gib(rt.maxMemory()),
            gib(Pointer.maxPhysicalBytes())));
    if (missing > 0) {
      out.println();
      out.println(
          missing
              + " native librar"
              + (missing == 1 ? "y is" : "ies are")
              + " missing: jsora cannot run. Rebuild with ./mvnw -B package, or check the platform (linux-x86_64 only).");
    }
    out.flush();
    return missing == 0 ? 0 : 1;
  }

  private static String device() {
    if (!Devices.cudaAvailable()) {
      return "cpu (no CUDA device"
          + (Devices.isGpuBuild() ? " found by the GPU build)" : "; CPU build of libtorch)");
    }
    StringBuilder b = new StringBuilder();
    int n = Devices.cudaDeviceCount();
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : "; ").append("cuda:").append(i).append(' ').append(gpuName(i));
    }
    return b.toString();
  }

  /** GPU name and memory through the CUDA presets, which only the GPU build carries. */
  private static String gpuName(int index) {
    try {
      Class<?> cuda = Class.forName("org.bytedeco.pytorch.global.torch_cuda");
      Method props = cuda.getMethod("getDeviceProperties", byte.class);
      Object p = props.invoke(null, (byte) index);
      String name =
          ((org.bytedeco.javacpp.BytePointer) p.getClass().getMethod("name").invoke(p)).getString();
      long mem = (Long) p.getClass().getMethod("totalGlobalMem").invoke(p);
      return name + " (" + gib(mem) + ")";
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return "(name unavailable: " + reason(e) + ")";
    }
  }

  private static String reason(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getMessage() == null) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }

  private static void row(PrintWriter out, String k, String v) {
    out.printf(Locale.ROOT, "%-11s %s%n", k, v);
  }
}
