package io.jsora.model.vae;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The VideoGPT VQ-VAE (the module behind {@code hpcai-tech/vqvae}), with its state-dict names:
 * {@code encoder.*}, {@code pre_vq_conv.conv.*}, {@code codebook.{embeddings,N,z_avg}}, {@code
 * post_vq_conv.conv.*}, {@code decoder.*}. Pixels go in as they are (VideoGPT trains on {@code
 * [-0.5, 0.5]}).
 *
 * <p>All methods run in the caller's {@link org.bytedeco.javacpp.PointerScope} and return tensors
 * that scope owns.
 */
public final class VqVae extends Layer {
  private final VqVaeConfig config;
  private final Device home;
  private final VqVaeEncoder encoder;
  private final VqVaeDecoder decoder;
  private final SamePadConv3d preVq;
  private final SamePadConv3d postVq;
  final Codebook codebook;

  /**
   * A model with PyTorch-default initialisation drawn from libtorch's global generator (seed it
   * with {@code Seeds.manualSeed}) on {@code device}; {@code meta} gives shapes without memory.
   */
  public VqVae(VqVaeConfig config, Device device) {
    super(device);
    this.config = config;
    this.home = own(Compressors.copy(device));
    encoder = child("encoder", new VqVaeEncoder(config, device));
    decoder = child("decoder", new VqVaeDecoder(config, device));
    preVq =
        child(
            "pre_vq_conv", new SamePadConv3d(config.nHiddens(), config.embeddingDim(), 1, device));
    postVq =
        child(
            "post_vq_conv", new SamePadConv3d(config.embeddingDim(), config.nHiddens(), 1, device));
    codebook = child("codebook", new Codebook(config.nCodes(), config.embeddingDim(), device));
  }

  public VqVaeConfig config() {
    return config;
  }

  /** The device the parameters live on (owned by the model). */
  public Device device() {
    return home;
  }

  /** Quantised latent: straight-through codebook vectors and their indices. */
  public record Encoded(Tensor embeddings, Tensor indices) {}

  /** One training forward pass, as VideoGPT's {@code VQVAE.forward}. */
  public record TrainOutput(
      Tensor reconLoss,
      Tensor commitmentLoss,
      Tensor perplexity,
      Tensor reconstruction,
      Tensor indices) {
    /** {@code recon + commitment}, the loss VideoGPT minimises. */
    public Tensor loss() {
      return reconLoss.add(commitmentLoss);
    }
  }

  /** Encoder output before quantisation: {@code x [B, 3, T, H, W]} → {@code [B, D, T', H', W']}. */
  public Tensor encodeContinuous(Tensor x) {
    return preVq.forward(encoder.forward(x));
  }

  /**
   * {@code x [B, 3, T, H, W]} → codebook vectors {@code [B, D, T', H', W']} (straight-through, so
   * gradients reach the encoder) and indices {@code [B, T', H', W']} (int64). Eval mode: the
   * codebook is not updated.
   */
  public Encoded encode(Tensor x) {
    Codebook.Output q = codebook.forward(encodeContinuous(x), null);
    return new Encoded(q.embeddings(), q.indices());
  }

  /** Codebook vectors {@code [B, D, T', H', W']} → video {@code [B, 3, T, H, W]}. */
  public Tensor decode(Tensor embeddings) {
    return decoder.forward(postVq.forward(embeddings));
  }

  /** Indices {@code [B, T', H', W']} → their codebook vectors {@code [B, D, T', H', W']}. */
  public Tensor embed(Tensor indices) {
    return codebook.lookup(indices).permute(0, 4, 1, 2, 3); // (B, D, T', H', W')
  }

  /**
   * VideoGPT's training forward: reconstruction loss {@code mse(x̂, x) / 0.06} and commitment loss
   * {@code 0.25 · mse(z, sg(e))}; in training mode the codebook takes its EMA step (and is
   * initialised from this batch if it has not been yet), drawing from {@code random} (a CPU
   * generator).
   */
  public TrainOutput forwardTrain(Tensor x, Generator random) {
    Tensor z = encodeContinuous(x); // (B, D, T', H', W')
    Codebook.Output q = codebook.forward(z, random);
    Tensor recon = decode(q.embeddings()); // (B, 3, T, H, W)
    Tensor reconLoss = torch.mse_loss(recon, x).div(new Scalar(0.06));
    return new TrainOutput(reconLoss, q.commitmentLoss(), q.perplexity(), recon, q.indices());
  }

  /**
   * The latent {@code [D, T', H', W']} of a T×H×W video.
   *
   * @throws IllegalArgumentException naming the dimension that is not a multiple of its factor
   */
  public long[] latentShapeOf(long frames, long height, long width) {
    int[] f = config.downsample();
    Compressors.checkDivisible("vqvae", frames, height, width, f);
    return new long[] {config.embeddingDim(), frames / f[0], height / f[1], width / f[2]};
  }

  /** Whether the next training step initialises the codebook from its batch. */
  public boolean codebookNeedsInit() {
    return codebook.needsInit();
  }

  /** See {@link Codebook#setNeedsInit}: true for fresh models, false once weights are loaded. */
  public void setCodebookNeedsInit(boolean v) {
    codebook.setNeedsInit(v);
  }

  /**
   * Checks {@code x} is {@code [B, 3, T, H, W]} with T, H, W divisible by the factors.
   *
   * @throws IllegalArgumentException naming {@code name} and the dimension
   */
  public void checkVideo(Tensor x, String name) {
    long[] s = Shapes.of(x);
    if (s.length != 5 || s[1] != 3) {
      throw new IllegalArgumentException(
          name + ": expected shape [B, 3, T, H, W], found " + java.util.Arrays.toString(s));
    }
    Compressors.checkDivisible("vqvae", s[2], s[3], s[4], config.downsample());
  }
}
