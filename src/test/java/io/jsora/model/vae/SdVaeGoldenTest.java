package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The SD VAE against diffusers' {@code AutoencoderKL} outputs (see golden/sdvae/README.md). */
class SdVaeGoldenTest {
  static final double TOL = 1e-4;

  private static AutoencoderKL model(Device cpu) throws Exception {
    Path dir = Golden.dir("sdvae");
    return Compressors.loadSdVae(
        dir.resolve("config.json"), dir.resolve("diffusion_pytorch_model.safetensors"), cpu);
  }

  @Test
  void posteriorOfEachFrameMatchesDiffusersForAnyMicroBatch() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        AutoencoderKL m = model(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("sdvae", "encode_in.safetensors");
        StateDict out = Golden.read("sdvae", "encode_out.safetensors")) {
      for (int micro : new int[] {1, 4, 6}) {
        AutoencoderKL.Posterior p = SdVaeCompressor.posterior(m, in.get("video"), micro);
        Golden.assertClose(out.get("mean"), p.mean(), TOL, "mean, micro-batch " + micro);
        Golden.assertClose(out.get("logvar"), p.logvar(), TOL, "logvar, micro-batch " + micro);
      }
    }
  }

  @Test
  void decodeOfEachFrameMatchesDiffusers() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        AutoencoderKL m = model(cpu);
        NoGradGuard g = new NoGradGuard();
        StateDict in = Golden.read("sdvae", "decode_in.safetensors");
        StateDict out = Golden.read("sdvae", "decode_out.safetensors")) {
      Golden.assertClose(
          out.get("video"), SdVaeCompressor.decodeFrames(m, in.get("latent"), 4), TOL, "decode");
    }
  }

  /**
   * The compressor maps [-0.5, 0.5] to [-1, 1], samples with the seeded generator exactly as
   * diffusers' {@code latent_dist.sample(generator)} and scales by 0.18215; decode inverts it.
   */
  @Test
  void compressorSamplesTheLatentAsDiffusersDoes() throws Exception {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        SdVaeCompressor c =
            (SdVaeCompressor)
                Compressors.load(
                    "vae", Golden.dir("sdvae"), cpu, new CompressorOptions(null, 5, 42));
        StateDict in = Golden.read("sdvae", "encode_in.safetensors");
        StateDict out = Golden.read("sdvae", "encode_out.safetensors");
        StateDict dec = Golden.read("sdvae", "decode_in.safetensors");
        StateDict decOut = Golden.read("sdvae", "decode_out.safetensors");
        Generator again = Seeds.cpuGenerator(42)) {
      assertEquals(0.18215, c.scalingFactor(), 0.0);
      assertArrayEquals(new long[] {4, 3, 8, 8}, c.latentShape(3, 16, 16));
      Tensor half = in.get("video").mul(new Scalar(0.5)); // jsora's pixel range
      try (Tensor z = c.encode(half);
          Tensor z2 = c.encode(half, again)) {
        Golden.assertClose(out.get("latent_seed42_scaled"), z, TOL, "sampled latent");
        Golden.assertClose(z, z2, 0.0, "same seed, same latent");
      }
      try (Tensor v = c.decode(dec.get("latent").mul(new Scalar(0.18215)))) {
        Golden.assertClose(
            decOut.get("video").mul(new Scalar(0.5)), v, TOL / 2, "decoded video in [-0.5, 0.5]");
      }
    }
  }
}
