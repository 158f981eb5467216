package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The VQ-VAE against VideoGPT's own outputs (see golden/vqvae/README.md). */
class VqVaeGoldenTest {
  static final double TOL = 1e-4;

  @Test
  void encodeGivesVideoGptsIndicesExactlyAndItsVectors() throws Exception {
    Path dir = Golden.dir("vqvae");
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VqVaeCompressor c = (VqVaeCompressor) Compressors.load("vqvae", dir, cpu);
        StateDict in = Golden.read("vqvae", "encode_in.safetensors");
        StateDict out = Golden.read("vqvae", "encode_out.safetensors")) {
      VqVae.Encoded e = c.encodeWithIndices(in.get("video"));
      try (Tensor emb = e.embeddings();
          Tensor idx = e.indices()) {
        assertArrayEquals(Tensors.toLongs(out.get("indices")), Tensors.toLongs(idx));
        Golden.assertClose(out.get("embeddings"), emb, TOL, "embeddings");
      }
      assertArrayEquals(new long[] {8, 2, 4, 4}, c.latentShape(4, 16, 16));
    }
  }

  @Test
  void decodeMatchesVideoGpt() throws Exception {
    Path dir = Golden.dir("vqvae");
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VqVaeCompressor c = (VqVaeCompressor) Compressors.load("vqvae", dir, cpu);
        StateDict in = Golden.read("vqvae", "decode_in.safetensors");
        StateDict enc = Golden.read("vqvae", "encode_out.safetensors");
        StateDict out = Golden.read("vqvae", "decode_out.safetensors")) {
      try (Tensor a = c.decode(in.get("embeddings"));
          Tensor b = c.decode(enc.get("embeddings"));
          Tensor d = c.decodeIndices(enc.get("indices"))) {
        Golden.assertClose(out.get("video"), a, TOL, "decode");
        Golden.assertClose(out.get("video_from_codes"), b, TOL, "decode of encoded");
        Golden.assertClose(out.get("video_from_codes"), d, TOL, "decode of indices");
      }
    }
  }

  /**
   * One training forward and backward as VideoGPT: batch-norm batch statistics, codebook
   * initialisation from the batch, EMA update, dead-code restart (same random stream as Python's
   * {@code torch.manual_seed(123)}), losses, straight-through gradients.
   */
  @Test
  void trainingStepMatchesVideoGpt() throws Exception {
    Path dir = Golden.dir("vqvae");
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        VqVae m =
            Compressors.loadVqVae(
                dir.resolve("config.json"), dir.resolve("model.safetensors"), cpu);
        StateDict in = Golden.read("vqvae", "encode_in.safetensors");
        StateDict want = Golden.read("vqvae", "train_step.safetensors");
        Generator g = Seeds.cpuGenerator(123)) {
      m.train(true);
      m.setCodebookNeedsInit(true);
      VqVae.TrainOutput o = m.forwardTrain(in.get("video"), g);
      o.loss().backward();
      Golden.assertClose(want.get("recon_loss"), o.reconLoss().reshape(1), TOL, "recon loss");
      Golden.assertClose(
          want.get("commitment_loss"), o.commitmentLoss().reshape(1), TOL, "commitment loss");
      Golden.assertClose(want.get("perplexity"), o.perplexity().reshape(1), TOL, "perplexity");
      assertArrayEquals(Tensors.toLongs(want.get("indices")), Tensors.toLongs(o.indices()));
      assertTrue(!m.codebookNeedsInit());
      try (StateDict got = StateDict.of(m)) {
        int checked = 0;
        for (String name : want.names()) {
          if (name.startsWith("after.")) {
            String key = name.substring("after.".length());
            Golden.assertClose(want.get(name), got.get(key), TOL, key);
            checked++;
          } else if (name.startsWith("grad.")) {
            String key = name.substring("grad.".length());
            Golden.assertClose(want.get(name), got.get(key).grad(), TOL, "grad of " + key);
            checked++;
          }
        }
        // 3 codebook buffers, 3 per batch norm (14 of them), 5 gradients
        assertEquals(3 + 14 * 3 + 5, checked, "buffers and gradients compared");
      }
    }
  }
}
