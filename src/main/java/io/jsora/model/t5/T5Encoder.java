package io.jsora.model.t5;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The encoder of T5 v1.1, as Hugging Face's {@code T5EncoderModel}: shared token embedding, a stack
 * of pre-norm blocks with a relative-position bias computed once by block 0, a final RMS norm.
 *
 * <pre>
 *   h₀ = E[ids];   bias = relpos(L) + (1 - mask) · min(dtype);   hᵢ = blockᵢ(hᵢ₋₁, bias);   out = rms(h_N)
 * </pre>
 *
 * No embedding scaling and no attention scaling. Parameter names equal upstream's state dict:
 * {@code shared.weight}, {@code encoder.embed_tokens.weight} (the same tensor, tied), {@code
 * encoder.block.{i}.layer...} (see {@link T5Block}), {@code encoder.final_layer_norm.weight}.
 *
 * <p>Parameters are float32 (what Open-Sora 1.2 runs T5 in; 19 GB for T5-XXL) or bf16 (9.5 GB); in
 * bf16 the norms' mean of squares and the attention softmax still run in float32, as upstream's
 * bf16 path does. Inference only: dropout is never applied. The module is created outside any scope
 * and released by {@link #close()}; {@link #forward} allocates in the caller's scope.
 */
public final class T5Encoder extends T5Layer {
  /** {@code torch.finfo(dtype).min}, the additive value of a padded key. */
  private static final double F32_MIN = -Float.MAX_VALUE;

  private static final double BF16_MIN = -3.3895313892515355e38;

  private final T5Config config;
  private final Tensor shared;
  private final List<T5Block> blocks = new ArrayList<>();
  private final T5LayerNorm finalLayerNorm;

  private T5Encoder(T5Config config, Placement p) {
    super(p);
    if (p.dtype() != DType.F32 && p.dtype() != DType.BF16) {
      throw new IllegalArgumentException("T5 parameters must be F32 or BF16, got " + p.dtype());
    }
    this.config = config;
    shared = weightChild("shared", config.vocabSize(), config.dModel());
    Stack encoder = child("encoder", new Stack(p, shared));
    ModuleListImpl list = encoder.list;
    for (int i = 0; i < config.numLayers(); i++) {
      T5Block block = own(new T5Block(p, config, i == 0));
      list.push_back(block);
      blocks.add(block);
    }
    finalLayerNorm = encoder.finalNorm(config);
    eval();
  }

  /**
   * A model with upstream's initialisation (factor 1) drawn from {@code seed}, in eval mode; caller
   * closes it.
   */
  public static T5Encoder create(T5Config config, DType dtype, Device device, long seed) {
    Natives.load();
    T5Encoder m = new T5Encoder(config, new Placement(dtype, device));
    try (PointerScope scope = new PointerScope();
        Generator g = Seeds.cpuGenerator(seed)) {
      if (device.type().value != org.bytedeco.pytorch.global.torch.DeviceType.Meta.value) {
        normal(m.shared, 1.0, g);
        for (T5Block b : m.blocks) {
          b.initialize(g, config);
        }
      }
    }
    return m;
  }

  /** Names and shapes only: every parameter on the {@code meta} device, no memory. */
  public static T5Encoder declare(T5Config config, DType dtype) {
    Natives.load();
    try (Device meta = new Device(org.bytedeco.pytorch.global.torch.DeviceType.Meta)) {
      return new T5Encoder(config, new Placement(dtype, meta));
    }
  }

  /**
   * Builds the model in {@code dtype} on {@code device} and loads {@code weights} strictly (a
   * checkpoint file, an {@code *.index.json} of shards, or a model directory; see {@link
   * T5Weights}). Caller closes the result.
   */
  public static T5Encoder load(T5Config config, Path weights, DType dtype, Device device)
      throws IOException {
    Natives.load();
    T5Encoder m = new T5Encoder(config, new Placement(dtype, device));
    try {
      T5Weights.load(m, weights);
      return m;
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public T5Config config() {
    return config;
  }

  public DType dtype() {
    return placement.dtype();
  }

  /** Aliases of the parameters by upstream name, the tied embedding under both names. */
  public StateDict stateDict() {
    return StateDict.of(this);
  }

  /**
   * Runs the encoder, as upstream's {@code T5EncoderModel(input_ids, attention_mask)} in eval mode.
   * Call inside a {@link PointerScope}: the output and every intermediate belong to it.
   *
   * @param inputIds {@code [B, L]} integer token ids in {@code [0, vocab_size)}
   * @param attentionMask {@code [B, L]} 1 for real tokens, 0 for padding, or null for none
   * @return {@code last_hidden_state [B, L, D]} in the parameter dtype
   */
  public Tensor forward(Tensor inputIds, Tensor attentionMask) {
    long[] shape = Shapes.of(inputIds);
    if (shape.length != 2 || shape[1] < 1) {
      throw new IllegalArgumentException(
          "input_ids: expected shape [B, L] with L >= 1, found " + Shapes.format(shape));
    }
    long b = shape[0];
    long l = shape[1];
    if (attentionMask != null) {
      Shapes.check(attentionMask, "attention_mask", b, l);
    }
    Device device = shared.device();
    Tensor ids = inputIds.to(device, DType.I64.scalarType());
    long lo = ids.min().item_long();
    long hi = ids.max().item_long();
    if (lo < 0 || hi >= config.vocabSize()) {
      throw new IllegalArgumentException(
          "input_ids: token id "
              + (lo < 0 ? lo : hi)
              + " outside [0, "
              + config.vocabSize()
              + ") (vocab_size)");
    }
    Tensor h = torch.embedding(shared, ids); //                                            (B, L, D)
    Tensor bias =
        blocks.get(0).selfAttention().positionBias(l); //                        (1, H, L, L)
    if (attentionMask != null) {
      double min = placement.dtype() == DType.F32 ? F32_MIN : BF16_MIN;
      Tensor keep =
          attentionMask.to(device, placement.dtype().scalarType()).view(b, 1, 1, l); // (B, 1, 1, L)
      Tensor masked =
          torch.rsub(keep, new Scalar(1.0)).mul(new Scalar(min)); //           (B, 1, 1, L)
      bias =
          bias.add(masked); //                                                          (B, H, L, L)
    }
    for (T5Block block : blocks) {
      h = block.forward(h, bias); //                                                       (B, L, D)
    }
    return finalLayerNorm.forward(h); //                                                   (B, L, D)
  }

  /**
   * {@code encoder}: the tied {@code embed_tokens}, the {@code block} list and {@code
   * final_layer_norm}.
   */
  static final class Stack extends T5Layer {
    final ModuleListImpl list;
    private T5LayerNorm finalNorm;

    Stack(Placement p, Tensor shared) {
      super(p);
      child("embed_tokens", new TiedEmbedding(p, shared));
      list = child("block", new ModuleListImpl());
    }

    /** Registers {@code final_layer_norm} after the blocks, so names list in upstream's order. */
    T5LayerNorm finalNorm(T5Config c) {
      finalNorm =
          child("final_layer_norm", new T5LayerNorm(placement, c.dModel(), c.layerNormEpsilon()));
      return finalNorm;
    }
  }

  /** {@code encoder.embed_tokens}: upstream's second name for the shared table. */
  static final class TiedEmbedding extends T5Layer {
    TiedEmbedding(Placement p, Tensor shared) {
      super(p);
      tied("weight", shared);
    }
  }
}
