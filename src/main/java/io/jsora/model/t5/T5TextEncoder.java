package io.jsora.model.t5;

import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Captions to T5 states as Open-Sora 1.2's {@code T5Embedder} makes them: tokenized with {@code
 * </s>}, truncated and padded to the fixed {@code model_max_length} (300), run through the encoder,
 * {@code last_hidden_state [B, 300, D]} and the mask {@code [B, 300]} returned. Captions are taken
 * as given (upstream's caption cleaning is off in its 1.2 inference configs).
 *
 * <p>T5 has no pooled output; {@link TextEmbeddings#pooled} holds each caption's state at its
 * {@code </s>} token, the position CLIP pools at. Open-Sora 1.2 does not use it.
 */
public final class T5TextEncoder implements TextEncoder {
  /** Captions per forward pass: rows never see each other, so the split changes no value. */
  static final int MICRO_BATCH = 4;

  private final T5Encoder model;
  private final T5Tokenizer tokenizer;
  private final int maxLength;
  private final String id;

  /** Joins a model and a tokenizer; the encoder owns and closes both. */
  public T5TextEncoder(T5Encoder model, T5Tokenizer tokenizer, int maxLength, String id) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
    }
    if (tokenizer.vocabSize() > model.config().vocabSize()) {
      throw new IllegalArgumentException(
          "tokenizer "
              + id
              + " produces ids up to "
              + (tokenizer.vocabSize() - 1)
              + " but the model's vocab_size is "
              + model.config().vocabSize());
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.id = id;
  }

  /**
   * Loads a Hugging Face T5 directory ({@code config.json}, {@code spiece.model} and the weights in
   * any layout {@link T5Weights} reads) with parameters in {@code dtype} on {@code device}; caller
   * closes it.
   */
  public static T5TextEncoder load(Path dir, DType dtype, Device device, int maxLength)
      throws IOException {
    return load(dir, dtype, device, maxLength, dir.toString());
  }

  /** As {@link #load(Path, DType, Device, int)}, reporting {@code id} as its {@link #id()}. */
  public static T5TextEncoder load(Path dir, DType dtype, Device device, int maxLength, String id)
      throws IOException {
    T5Config config = T5Config.read(dir);
    T5Tokenizer tok = T5Tokenizer.load(dir);
    try {
      T5Encoder model = T5Encoder.load(config, dir, dtype, device);
      try {
        return new T5TextEncoder(model, tok, maxLength, id);
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      tok.close();
      throw e;
    }
  }

  /**
   * @return hidden {@code [B, maxLength, D]} float32, mask {@code [B, maxLength]} int64, pooled
   *     {@code [B, D]} float32 (the {@code </s>} states), on the model's device; caller owns them
   */
  @Override
  public TextEmbeddings encode(List<String> captions) {
    if (captions.isEmpty()) {
      throw new IllegalArgumentException("no captions to encode");
    }
    T5Tokenizer.Tokens t = tokenizer.batch(captions, maxLength);
    int b = t.batch();
    try (PointerScope scope = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor ids = Tensors.of(t.flatIds(), b, maxLength); //                              (B, L)
      Tensor mask = Tensors.of(t.flatMask(), b, maxLength); //                            (B, L)
      TensorVector hidden = new TensorVector();
      for (int start = 0; start < b; start += MICRO_BATCH) {
        int n = Math.min(MICRO_BATCH, b - start);
        Tensor h = model.forward(ids.narrow(0, start, n), mask.narrow(0, start, n)); //   (n, L, D)
        hidden.push_back(h.to(DType.F32.scalarType()));
      }
      Tensor h = torch.cat(hidden, 0); //                                                  (B, L, D)
      Tensor m = mask.to(h.device(), DType.I64.scalarType()); //                           (B, L)
      Tensor last =
          m.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional())
              .sub(
                  new Scalar(
                      1L)); //                                                         (B) </s>
      // position
      Tensor index = last.view(b, 1, 1).expand(b, 1, h.size(2)); //                        (B, 1, D)
      Tensor pooled = h.gather(1, index).squeeze(1); //                                    (B, D)
      return new TextEmbeddings(Scopes.keep(h), Scopes.keep(m), Scopes.keep(pooled));
    }
  }

  @Override
  public int hiddenSize() {
    return model.config().dModel();
  }

  @Override
  public int maxLength() {
    return maxLength;
  }

  @Override
  public String id() {
    return id;
  }

  public T5Encoder model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
