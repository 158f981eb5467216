package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VqVaeTrainerTest {
  @TempDir Path tmp;

  static final VqVaeConfig TINY = new VqVaeConfig(8, 32, 16, 1, new int[] {2, 4, 4});

  private static Tensor batch(MovingShapes shapes, int from, int n) {
    TensorVector v = new TensorVector();
    for (int i = 0; i < n; i++) {
      try (Tensor c = shapes.clip(from + i)) {
        v.push_back(c);
      }
    }
    return torch.cat(v, 0);
  }

  @Test
  void lossFallsAndTheCheckpointLoadsAsACompressor() throws Exception {
    MovingShapes shapes = new MovingShapes(64, 4, 16, 16, 1);
    Stats first;
    Stats last;
    Path ckpt = tmp.resolve("ckpt");
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      Seeds.manualSeed(0);
      VqVae m = new VqVae(TINY, cpu);
      assertTrue(m.codebookNeedsInit());
      try (VqVaeTrainer t = new VqVaeTrainer(m, new VqVaeTrainer.Settings(3e-3, 0.0, 1.0, 0))) {
        VqVaeTrainer.Stats a = null;
        VqVaeTrainer.Stats b = null;
        for (int step = 0; step < 30; step++) {
          try (PointerScope st = new PointerScope()) {
            b = t.step(batch(shapes, (step * 4) % 64, 4));
            if (a == null) {
              a = b;
            }
          }
        }
        first = new Stats(a.reconLoss(), a.psnr());
        last = new Stats(b.reconLoss(), b.psnr());
        assertFalse(m.codebookNeedsInit(), "initialised from the first batch");
        assertEquals(30, t.step());
        t.save(ckpt);
      }
      for (String f :
          new String[] {"config.json", "model.safetensors", "optimizer.pt", "trainer_state.json"}) {
        assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
      }
      // the saved directory is a compressor directory: same reconstruction as the trained model in
      // eval mode
      m.eval();
      try (VqVaeCompressor c = (VqVaeCompressor) Compressors.load("vqvae", ckpt, cpu);
          Tensor x = batch(shapes, 0, 2);
          Tensor z = c.encode(x);
          Tensor y = c.decode(z);
          org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
        Golden.assertClose(m.decode(m.encode(x).embeddings()), y, 1e-6, "reloaded model");
        double psnr = ReconMetrics.psnr(x, y).mean().item_double();
        assertTrue(psnr > 15, "eval-mode PSNR after 30 steps: " + psnr);
      }
      m.close();
    }
    assertTrue(
        last.recon() < 0.6 * first.recon(), "recon loss " + first.recon() + " -> " + last.recon());
    assertTrue(last.psnr() > first.psnr() + 2, "PSNR " + first.psnr() + " -> " + last.psnr());

    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VqVaeTrainer r = VqVaeTrainer.resume(ckpt, cpu, VqVaeTrainer.Settings.defaults());
        VqVae m = r.model();
        StateDict saved =
            io.jsora.checkpoint.SafetensorsFile.read(ckpt.resolve("model.safetensors"));
        StateDict now = StateDict.of(m)) {
      assertEquals(30, r.step());
      assertFalse(m.codebookNeedsInit(), "a loaded codebook is kept");
      Golden.assertClose(
          saved.get("codebook.embeddings"), now.get("codebook.embeddings"), 0.0, "codebook");
      r.step(batch(shapes, 0, 2));
      assertEquals(31, r.step());
    }
  }

  private record Stats(double recon, double psnr) {}
}
