package io.jsora.model.text;

import io.jsora.checkpoint.HubCache;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A {@link TextEncoder} made of a {@code tokenizer.json} and a {@link ClipTextModel}, loaded from a
 * directory in the Hugging Face layout: {@code config.json}, {@code tokenizer.json} and {@code
 * model.safetensors} (or {@code pytorch_model.bin}). Serves real CLIP checkpoints and the built-in
 * encoder alike. Obtain one through {@link TextEncoders#load}.
 */
public final class ClipTextEncoder implements TextEncoder {
  /** Weight files looked for, in order of preference. */
  static final List<String> WEIGHT_FILES = List.of("model.safetensors", "pytorch_model.bin");

  /** Captions per forward pass inside {@link #encode}. */
  static final int MICRO_BATCH = 64;

  private final ClipTokenizer tokenizer;
  private final ClipTextModel model;
  private final String id;
  private final Path directory;

  private ClipTextEncoder(ClipTokenizer tokenizer, ClipTextModel model, String id, Path directory) {
    this.tokenizer = tokenizer;
    this.model = model;
    this.id = id;
    this.directory = directory;
  }

  /**
   * Loads the encoder in {@code dir} onto {@code device}; caller closes it.
   *
   * @param id what {@link #id()} reports
   * @throws IOException naming the missing file and what the directory holds
   */
  static ClipTextEncoder open(Path dir, String id, Device device) throws IOException {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new NoSuchFileException(
          config.toString(),
          null,
          "text encoder: no config.json (the directory holds: " + HubCache.contents(dir) + ")");
    }
    Path weights = weightsFile(dir);
    ClipTextConfig cfg = ClipTextConfig.read(config);
    ClipTokenizer tok = ClipTokenizer.load(dir, cfg.maxPositionEmbeddings(), cfg.eosTokenId());
    try {
      ClipTextModel model = ClipTextModel.load(cfg, weights, device);
      return new ClipTextEncoder(tok, model, id, dir);
    } catch (IOException | RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  /**
   * The weights file of a model directory: {@code model.safetensors}, else {@code
   * pytorch_model.bin}.
   */
  public static Path weightsFile(Path dir) throws IOException {
    return HubCache.firstFile(dir, "text encoder", WEIGHT_FILES);
  }

  /**
   * Encodes {@code captions}: tokenized with special tokens, padded to the longest (at most {@link
   * #maxLength()} tokens, longer captions truncated with a warning), run without gradients in
   * micro-batches of {@value #MICRO_BATCH} captions so a long list does not need memory for all of
   * them at once (the encoder is causal, so the split does not change any value).
   *
   * @return hidden {@code [B, L, D]} float32, mask {@code [B, L]} int64 and pooled {@code [B, D]},
   *     all on the model's device; caller owns them
   */
  @Override
  public TextEmbeddings encode(List<String> captions) {
    if (captions.isEmpty()) {
      throw new IllegalArgumentException("no captions to encode");
    }
    ClipTokenizer.Tokens t = tokenizer.encode(captions);
    int b = t.batch();
    try (PointerScope scope = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor ids = Tensors.of(t.flatIds(), b, t.length()); //                 (B, L)
      Tensor mask = Tensors.of(t.flatMask(), b, t.length()); //               (B, L)
      TensorVector hidden = new TensorVector();
      TensorVector pooled = new TensorVector();
      for (int start = 0; start < b; start += MICRO_BATCH) {
        int n = Math.min(MICRO_BATCH, b - start);
        ClipTextModel.Output out = model.forward(ids.narrow(0, start, n), mask.narrow(0, start, n));
        hidden.push_back(out.lastHiddenState()); //                            (n, L, D)
        pooled.push_back(out.pooled()); //                                     (n, D)
      }
      Tensor h = torch.cat(hidden, 0); //                                      (B, L, D)
      Tensor p = torch.cat(pooled, 0); //                                      (B, D)
      Tensor m = mask.to(h.device(), mask.scalar_type()); //                   (B, L)
      return new TextEmbeddings(Scopes.keep(h), Scopes.keep(m), Scopes.keep(p));
    }
  }

  @Override
  public int hiddenSize() {
    return model.config().hiddenSize();
  }

  @Override
  public int maxLength() {
    return tokenizer.maxLength();
  }

  @Override
  public String id() {
    return id;
  }

  /** The model directory this encoder was loaded from. */
  public Path directory() {
    return directory;
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public ClipTextModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
