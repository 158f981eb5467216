package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainVaeAndEvalReconTest {
  @TempDir Path tmp;

  @Test
  void trainsSavesResumesAndTheCheckpointEvaluates() throws Exception {
    Path cfg = tmp.resolve("tiny.json");
    Files.writeString(
        cfg,
        "{\"embedding_dim\": 8, \"n_codes\": 32, \"n_hiddens\": 16, \"n_res_layers\": 1, \"downsample\": [2, 4, 4]}");
    Path out = tmp.resolve("ckpt");
    String[] common = {
      "--compressor",
      "vqvae",
      "--synthetic",
      "16",
      "--frames",
      "4",
      "--size",
      "16",
      "--batch",
      "2",
      "--device",
      "cpu",
      "--out",
      out.toString(),
      "--config",
      cfg.toString(),
      "--lr",
      "3e-3",
      "--log-every",
      "2",
      "--save-every",
      "3"
    };
    Cli first = Cli.run(concat(new String[] {"train-vae", "--steps", "4"}, common));
    assertEquals(0, first.code(), first.err());
    assertTrue(first.out().contains("step 2  loss"), first.out());
    assertTrue(first.out().contains("saved " + out + " (step 3)"), first.out());
    assertTrue(first.out().contains("saved " + out + " (step 4"), first.out());
    Cli more = Cli.run(concat(new String[] {"train-vae", "--steps", "6"}, common));
    assertEquals(0, more.code(), more.err());
    assertTrue(more.out().contains("resuming " + out + " at step 4"), more.out());
    assertTrue(more.out().contains("step 6  loss"), more.out());

    Cli eval =
        Cli.run(
            "eval-recon",
            "--compressor",
            "vqvae",
            "--model",
            out.toString(),
            "--synthetic",
            "3",
            "--frames",
            "4",
            "--size",
            "16",
            "--device",
            "cpu");
    assertEquals(0, eval.code(), eval.err());
    assertTrue(
        eval.out().contains("vqvae on cpu: 3 clips of 4x16x16 -> latent [8, 2, 4, 4]"), eval.out());
    assertTrue(
        eval.out().matches("(?s).*shapes-2\\s+PSNR\\s+[0-9.]+ dB  SSIM [0-9.]+.*"), eval.out());
    assertTrue(eval.out().contains("mean over 3 clips: PSNR "), eval.out());
  }

  /**
   * Video files written by {@code jsora data synth}, read back through FFmpeg, plus one broken
   * file.
   */
  @Test
  void readsVideoDirectoriesAndSkipsBadFiles() throws Exception {
    Path data = tmp.resolve("synth");
    Cli synth =
        Cli.run(
            "data",
            "synth",
            "--out",
            data.toString(),
            "--count",
            "3",
            "--frames",
            "8",
            "--size",
            "24");
    assertEquals(0, synth.code(), synth.err());
    Files.write(data.resolve("videos").resolve("broken.mp4"), new byte[] {1, 2, 3});
    Cli eval =
        Cli.run(
            "eval-recon",
            "--compressor",
            "raw",
            "--videos",
            data.toString(),
            "--frames",
            "8",
            "--size",
            "16",
            "--device",
            "cpu");
    assertEquals(0, eval.code(), eval.err());
    assertTrue(eval.out().contains("raw on cpu: 4 clips of 8x16x16"), eval.out());
    assertTrue(eval.out().matches("(?s).*videos/broken.mp4\\s+skipped: .*"), eval.out());
    assertTrue(eval.out().contains("mean over 3 clips (1 skipped): PSNR inf"), eval.out());
    Path cfg = tmp.resolve("tiny.json");
    Files.writeString(
        cfg,
        "{\"embedding_dim\": 8, \"n_codes\": 16, \"n_hiddens\": 8, \"n_res_layers\": 1, \"downsample\": [2, 4, 4]}");
    Cli train =
        Cli.run(
            "train-vae",
            "--compressor",
            "vqvae",
            "--videos",
            data.resolve("videos").toString(),
            "--frames",
            "4",
            "--size",
            "16",
            "--batch",
            "2",
            "--steps",
            "2",
            "--log-every",
            "1",
            "--config",
            cfg.toString(),
            "--out",
            tmp.resolve("ck").toString(),
            "--device",
            "cpu");
    assertEquals(0, train.code(), train.err());
    assertTrue(train.out().contains("skipping broken.mp4: "), train.out());
    assertTrue(train.out().contains("step 2  loss"), train.out());
  }

  @Test
  void rawReconstructsExactly() {
    Cli eval =
        Cli.run(
            "eval-recon",
            "--compressor",
            "raw",
            "--synthetic",
            "2",
            "--frames",
            "3",
            "--size",
            "12",
            "--device",
            "cpu");
    assertEquals(0, eval.code(), eval.err());
    assertTrue(
        eval.out()
            .contains("mean over 2 clips: PSNR inf (every reconstruction exact)  SSIM 1.0000"),
        eval.out());
  }

  @Test
  void clearErrors() {
    Cli vae =
        Cli.run("train-vae", "--compressor", "vae", "--synthetic", "2", "--out", tmp.toString());
    assertEquals(1, vae.code());
    assertTrue(vae.err().contains("train-vae trains the VQ-VAE only"), vae.err());
    Cli both =
        Cli.run(
            "eval-recon", "--compressor", "raw", "--synthetic", "2", "--videos", tmp.toString());
    assertEquals(2, both.code());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    Cli odd =
        Cli.run(
            "eval-recon",
            "--compressor",
            "vqvae",
            "--model",
            CompressorCommandsTest.golden("vqvae").toString(),
            "--synthetic",
            "1",
            "--frames",
            "5",
            "--size",
            "16",
            "--device",
            "cpu");
    assertEquals(1, odd.code());
    assertTrue(odd.err().contains("vqvae: frames (T) 5 is not a multiple of 2"), odd.err());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
