package io.jsora.model.vae;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The VideoGPT VQ-VAE as a compressor: the latent is the quantised codebook vectors {@code [B, D,
 * T/2, H/4, W/4]} (for {@code hpcai-tech/vqvae}, D = 256), the indices are available beside them.
 * Video goes to the network as it is: VideoGPT was trained on pixels in [-0.5, 0.5], jsora's
 * convention. The whole clip is encoded in one call (3D convolutions see every frame).
 */
public final class VqVaeCompressor implements VideoCompressor {
  private final VqVae model;

  /** Takes ownership of {@code model} and switches it to eval mode. */
  public VqVaeCompressor(VqVae model) {
    this.model = model;
    model.eval();
  }

  /** The network (owned by this compressor). */
  public VqVae model() {
    return model;
  }

  @Override
  public String name() {
    return "vqvae";
  }

  @Override
  public int latentChannels() {
    return model.config().embeddingDim();
  }

  @Override
  public int[] factors() {
    return model.config().downsample();
  }

  @Override
  public long[] latentShape(long frames, long height, long width) {
    return model.latentShapeOf(frames, height, width);
  }

  @Override
  public Tensor encode(Tensor video) {
    VqVae.Encoded e = encodeWithIndices(video);
    e.indices().close();
    return e.embeddings();
  }

  /**
   * Codebook vectors {@code [B, D, T', H', W']} and their indices {@code [B, T', H', W']} (int64);
   * caller owns both.
   */
  public VqVae.Encoded encodeWithIndices(Tensor video) {
    model.checkVideo(video, "video");
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      VqVae.Encoded e = model.encode(video.to(model.device(), torch.ScalarType.Float));
      return new VqVae.Encoded(Scopes.keep(e.embeddings().detach()), Scopes.keep(e.indices()));
    }
  }

  @Override
  public Tensor decode(Tensor latent) {
    long[] s = Shapes.of(latent);
    if (s.length != 5 || s[1] != latentChannels()) {
      throw new IllegalArgumentException(
          "vqvae: latent must be [B, "
              + latentChannels()
              + ", T', H', W'], found "
              + Arrays.toString(s));
    }
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      return Scopes.keep(model.decode(latent.to(model.device(), torch.ScalarType.Float)));
    }
  }

  /**
   * Codebook vectors for indices {@code [B, T', H', W']}: {@code [B, D, T', H', W']}; caller owns.
   */
  public Tensor embed(Tensor indices) {
    checkIndices(indices);
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      return Scopes.keep(model.embed(indices.to(model.device(), torch.ScalarType.Long)));
    }
  }

  /**
   * Decodes indices {@code [B, T', H', W']} straight to video {@code [B, 3, T, H, W]}; caller owns.
   */
  public Tensor decodeIndices(Tensor indices) {
    checkIndices(indices);
    try (PointerScope sc = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      return Scopes.keep(
          model.decode(model.embed(indices.to(model.device(), torch.ScalarType.Long))));
    }
  }

  private void checkIndices(Tensor indices) {
    long[] s = Shapes.of(indices);
    if (s.length != 4) {
      throw new IllegalArgumentException(
          "vqvae: indices must be [B, T', H', W'], found " + Arrays.toString(s));
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
