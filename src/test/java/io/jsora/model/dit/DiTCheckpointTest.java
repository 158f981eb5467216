package io.jsora.model.dit;

import static io.jsora.model.dit.DiTFixtures.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Activation checkpointing: same gradients for every parameter, less memory. */
class DiTCheckpointTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** Gradients of a fixed loss, with a text padding mask on (not for adaln). */
  static StateDict grads(DiT model, boolean checkpoint, long seed) {
    model.setGradCheckpoint(checkpoint);
    model.zero_grad(true);
    DiTConfig c = model.config();
    try (Generator g = torch.createCPUGenerator(seed);
        PointerScope step = new PointerScope()) {
      Tensor t = Tensors.of(new long[] {3, 800}, 2);
      Tensor text = DiTFixtures.text(g, c, 2);
      Tensor mask =
          c.modelArch().pooledText()
              ? null
              : Tensors.of(new long[] {1, 1, 0, 0, 0, 1, 1, 1, 1, 0}, 2, 5);
      Tensor out = model.forward(randn(g, 2, 3, 2, 8, 8), t, text, mask); // (2, 6, 2, 8, 8)
      out.mul(randn(g, 2, 6, 2, 8, 8)).sum().backward();
    }
    StateDict out = new StateDict();
    try (StateDict params = StateDict.of(model)) {
      for (String name : params.names()) {
        out.put(name, params.get(name).grad().clone());
      }
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void checkpointedBlocksGiveThePlainGradientsForEveryParameter(Arch arch) {
    try (PointerScope s = new PointerScope()) {
      DiT model = new DiT(DiTFixtures.tiny(arch, 2));
      DiTFixtures.randomize(model, 60);
      model.train(true);
      try (StateDict plain = grads(model, false, 61);
          StateDict ckpt = grads(model, true, 61)) {
        for (String name : plain.names()) {
          double scale = plain.get(name).abs().max().item_double();
          double err = plain.get(name).sub(ckpt.get(name)).abs().max().item_double();
          assertTrue(scale > 0, arch + " " + name + ": no gradient");
          // same ops in the same order; only the summation order of shared inputs' gradients
          // differs
          assertTrue(
              err <= 1e-5 * scale,
              arch + " " + name + ": |ckpt - plain| " + err + " vs scale " + scale);
        }
      }
    }
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void checkpointingLowersThePeakMemoryOfATrainingStep() throws Exception {
    Map<String, Long> plain = probe("plain");
    Map<String, Long> ckpt = probe("ckpt");
    System.out.printf(
        "training step peak memory above baseline (DiT depth %d, width %d, batch %d, %d tokens): "
            + "plain %d KiB, checkpointed %d KiB (block inputs %d KiB)%n",
        CheckpointMemoryProbe.DEPTH,
        CheckpointMemoryProbe.HIDDEN,
        CheckpointMemoryProbe.BATCH,
        1024,
        plain.get("peak_kb"),
        ckpt.get("peak_kb"),
        ckpt.get("inputs_kb"));
    assertTrue(
        ckpt.get("peak_kb") < 0.5 * plain.get("peak_kb"),
        "checkpointed peak "
            + ckpt.get("peak_kb")
            + " KiB not below half the plain peak "
            + plain.get("peak_kb")
            + " KiB");
  }

  static Map<String, Long> probe(String mode) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xms128m",
                "-Xmx128m",
                "-XX:+AlwaysPreTouch",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                CheckpointMemoryProbe.class.getName(),
                mode));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("MALLOC_MMAP_THRESHOLD_", "65536");
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    pb.environment().put("OPENBLAS_NUM_THREADS", "1");
    Path log = Files.createTempFile("ckpt-probe", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    try {
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("memory probe (" + mode + ") did not finish in 180 s");
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "memory probe (" + mode + ") failed:\n" + out);
      Map<String, Long> r = new HashMap<>();
      for (String line : out.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0 && line.substring(0, eq).endsWith("_kb")) {
          r.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
      }
      Assumptions.assumeFalse(out.contains("unsupported="), out);
      assertTrue(r.containsKey("peak_kb"), "no result from the memory probe:\n" + out);
      return r;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
