package io.jsora.model.dit;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Measures the peak memory of one DiT training step in a process of its own (run by {@link
 * DiTCheckpointTest}): {@code plain} or {@code ckpt}. Prints {@code peak_kb=N} (peak RSS during the
 * step above the RSS before it) and {@code inputs_kb=N} (the bytes of the block inputs, what
 * checkpointing must keep).
 *
 * <p>The parent starts it with {@code MALLOC_MMAP_THRESHOLD_} fixed, so every tensor above 64 KiB
 * is its own mapping, returned to the system when freed: RSS then follows the live tensors instead
 * of glibc's cache. The peak is the kernel's high-water mark, reset just before the step ({@code
 * /proc/self/clear_refs}), so no short-lived peak is missed.
 */
public final class CheckpointMemoryProbe {
  static final int BATCH = 2;
  static final int DEPTH = 8;
  static final int HIDDEN = 64;
  static final int SIDE = 64; // latent 64x64, patch 2: 1024 tokens

  public static void main(String[] args) throws IOException {
    boolean ckpt = args.length > 0 && args[0].equals("ckpt");
    Natives.load();
    try (PointerScope s = new PointerScope()) {
      torch.manual_seed(0);
      DiTConfig c =
          new DiTConfig(
              2,
              4,
              16,
              HIDDEN,
              DEPTH,
              4,
              4.0,
              DiTConfig.DEFAULT_MAX_NUM_EMBEDDINGS,
              0.1,
              true,
              Arch.ADALN,
              PosEmbed.THW,
              ckpt,
              false);
      DiT model = new DiT(c);
      model.train(true);
      Tensor x = torch.randn(BATCH, 4, 1, SIDE, SIDE);
      Tensor t = Tensors.of(new long[] {10, 500}, BATCH);
      Tensor text = torch.randn(BATCH, 16);
      step(model, x, t, text); // warm-up: kernels, thread pools, gradient buffers
      try {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      } catch (IOException e) {
        System.out.println(
            "unsupported=cannot reset the peak RSS through /proc/self/clear_refs: " + e);
        return;
      }
      long base = status("VmRSS");
      step(model, x, t, text);
      long peak = status("VmHWM");
      long tokens = (long) (SIDE / 2) * (SIDE / 2);
      System.out.println("peak_kb=" + (peak - base));
      System.out.println("inputs_kb=" + (long) DEPTH * BATCH * tokens * HIDDEN * 4 / 1024);
    }
  }

  static void step(DiT model, Tensor x, Tensor t, Tensor text) {
    try (PointerScope step = new PointerScope()) {
      model.forward(x, t, text, null).pow(new Scalar(2.0)).mean().backward();
    }
  }

  static long status(String key) throws IOException {
    Matcher m =
        Pattern.compile(key + ":\\s+(\\d+) kB")
            .matcher(Files.readString(Path.of("/proc/self/status")));
    if (!m.find()) {
      throw new IOException(key + " not in /proc/self/status");
    }
    return Long.parseLong(m.group(1));
  }
}
