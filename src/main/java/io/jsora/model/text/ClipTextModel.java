package io.jsora.model.text;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LayerNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hugging Face {@code CLIPTextModel}: token and position embeddings, a pre-LayerNorm encoder
 * with causal and padding attention masks, and a final LayerNorm. Parameter names equal the
 * upstream state dict's ({@code text_model.encoder.layers.3.self_attn.q_proj.weight}), so a {@code
 * CLIPTextModel} checkpoint loads as it is and a whole {@code CLIPModel} checkpoint through {@link
 * ClipTextWeights#select}.
 *
 * <p>Inference only (eval mode; attention dropout is never applied). The module and its parameters
 * are created outside any scope and released by {@link #close()}; {@link #forward} allocates in the
 * caller's {@link PointerScope}.
 */
public final class ClipTextModel extends io.jsora.nn.Layer {
  private static final Logger log = LoggerFactory.getLogger(ClipTextModel.class);

  /** The additive mask value of a hidden position: the smallest float32, as upstream uses. */
  private static final double MASKED = -Float.MAX_VALUE;

  private final ClipTextConfig config;
  private final EmbeddingImpl tokenEmbedding;
  private final EmbeddingImpl positionEmbedding;
  private final List<EncoderLayer> layers = new ArrayList<>();
  private final LayerNormImpl finalLayerNorm;

  /** One encoder layer's submodules. */
  private record EncoderLayer(
      LinearImpl q,
      LinearImpl k,
      LinearImpl v,
      LinearImpl out,
      LayerNormImpl norm1,
      LinearImpl fc1,
      LinearImpl fc2,
      LayerNormImpl norm2) {}

  /**
   * The two outputs of a forward pass; both live in the caller's scope.
   *
   * @param lastHiddenState {@code [B, S, D]} after the final LayerNorm
   * @param pooled {@code [B, D]} the final state at each row's end-of-text token
   */
  public record Output(Tensor lastHiddenState, Tensor pooled) {}

  static {
    Natives.load(); // before the module's native allocation
  }

  private ClipTextModel(ClipTextConfig config) {
    // the model may be built inside a caller's scope (it is then attached to it): a reference of
    // its own keeps it until close()
    retainReference();
    this.config = config;
    long d = config.hiddenSize();
    // a scope frees the temporary handles libtorch's registration calls return; what the model
    // keeps is retained by keep() and released by close()
    try (PointerScope scope = new PointerScope()) {
      // registration order follows upstream's, so state dicts list keys in the same order
      Module textModel = register_module("text_model", keep(new Module()));
      Module embeddings = textModel.register_module("embeddings", keep(new Module()));
      tokenEmbedding =
          embeddings.register_module(
              "token_embedding", keep(new EmbeddingImpl(config.vocabSize(), d)));
      positionEmbedding =
          embeddings.register_module(
              "position_embedding", keep(new EmbeddingImpl(config.maxPositionEmbeddings(), d)));
      Module encoder = textModel.register_module("encoder", keep(new Module()));
      ModuleListImpl list = encoder.register_module("layers", keep(new ModuleListImpl()));
      for (int i = 0; i < config.numHiddenLayers(); i++) {
        Module layer = keep(new Module());
        Module attn = layer.register_module("self_attn", keep(new Module()));
        LinearImpl k = attn.register_module("k_proj", keep(new LinearImpl(d, d)));
        LinearImpl v = attn.register_module("v_proj", keep(new LinearImpl(d, d)));
        LinearImpl q = attn.register_module("q_proj", keep(new LinearImpl(d, d)));
        LinearImpl out = attn.register_module("out_proj", keep(new LinearImpl(d, d)));
        LayerNormImpl norm1 = layer.register_module("layer_norm1", layerNorm());
        Module mlp = layer.register_module("mlp", keep(new Module()));
        LinearImpl fc1 =
            mlp.register_module("fc1", keep(new LinearImpl(d, config.intermediateSize())));
        LinearImpl fc2 =
            mlp.register_module("fc2", keep(new LinearImpl(config.intermediateSize(), d)));
        LayerNormImpl norm2 = layer.register_module("layer_norm2", layerNorm());
        list.push_back(layer);
        layers.add(new EncoderLayer(q, k, v, out, norm1, fc1, fc2, norm2));
      }
      finalLayerNorm = textModel.register_module("final_layer_norm", layerNorm());
      eval();
    }
  }

  /**
   * Owns {@code p} (closed with the model), with a reference that outlives the constructor's scope.
   */
  private <P extends Pointer> P keep(P p) {
    return own(p.retainReference());
  }

  private LayerNormImpl layerNorm() {
    try (LongVector shape = new LongVector(new long[] {config.hiddenSize()});
        LayerNormOptions o = new LayerNormOptions(shape)) {
      o.eps().put(config.layerNormEps());
      return keep(new LayerNormImpl(o));
    }
  }

  /** A model with libtorch's default initialisation, on the CPU, in eval mode; caller closes it. */
  public static ClipTextModel create(ClipTextConfig config) {
    return new ClipTextModel(config);
  }

  /**
   * Builds the model and loads {@code weightsFile} strictly: a {@code CLIPTextModel} state dict, or
   * a whole {@code CLIPModel} one whose non-text part is ignored (and logged). Then moves it to
   * {@code device}. Caller closes the result.
   *
   * @throws io.jsora.checkpoint.StateDictMismatchException listing every missing, unexpected or
   *     mis-shaped key
   */
  public static ClipTextModel load(ClipTextConfig config, Path weightsFile, Device device)
      throws IOException {
    ClipTextModel model = new ClipTextModel(config);
    try (Weights.Loaded w = Weights.read(weightsFile);
        ClipTextWeights.Selection sel = ClipTextWeights.select(w.tensors())) {
      if (!sel.ignored().isEmpty()) {
        log.info(
            "{}: using {} text-model tensors; ignored {}",
            weightsFile,
            sel.text().size(),
            sel.describeIgnored());
      }
      model.loadWeights(sel.text(), weightsFile.toString());
      model.to(device);
      return model;
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Copies {@code weights} (upstream {@code CLIPTextModel} names) into the model, strictly. */
  public void loadWeights(StateDict weights, String source) {
    try (PointerScope scope = new PointerScope()) {
      StrictLoader.load(this, weights, source);
    }
  }

  /** Moves the parameters to {@code device} in place. */
  public void to(Device device) {
    // Module.to hands back temporary handles from native callbacks: let a scope free them
    try (PointerScope scope = new PointerScope()) {
      to(device, false);
    }
  }

  public ClipTextConfig config() {
    return config;
  }

  /** The libtorch module holding every parameter (for state dicts and loaders). */
  public Module module() {
    return this;
  }

  /** Aliases of the parameters by upstream name; closing it leaves the model intact. */
  public StateDict stateDict() {
    return StateDict.of(this);
  }

  /**
   * Runs the text model, as upstream's {@code CLIPTextModel.forward(input_ids, attention_mask)} in
   * eval mode. Call inside a {@link PointerScope}: the outputs and every intermediate belong to it.
   * Gradients are recorded only if the caller enables them.
   *
   * @param inputIds {@code [B, S]} integer token ids, {@code S <= max_position_embeddings}
   * @param attentionMask {@code [B, S]} 1 for real tokens and 0 for padding, or null for none
   */
  public Output forward(Tensor inputIds, Tensor attentionMask) {
    long[] shape = Shapes.of(inputIds);
    if (shape.length != 2) {
      throw new IllegalArgumentException(
          "input_ids: expected shape [B, S], found " + Shapes.format(shape));
    }
    long b = shape[0];
    long s = shape[1];
    if (s < 1 || s > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "input_ids: sequence length "
              + s
              + " outside [1, "
              + config.maxPositionEmbeddings()
              + "] (max_position_embeddings)");
    }
    if (attentionMask != null) {
      Shapes.check(attentionMask, "attention_mask", b, s);
    }
    Tensor weight = tokenEmbedding.weight();
    Device device = weight.device();
    Tensor ids = inputIds.to(device, DType.I64.scalarType());
    checkRange(ids);
    long d = config.hiddenSize();
    long heads = config.numAttentionHeads();
    long hd = config.headDim();

    // 1. Embeddings
    Tensor positions = positionEmbedding.weight().narrow(0, 0, s); //                         (S, D)
    Tensor h =
        tokenEmbedding.forward(ids).add(positions); //                                 (B, S, D)

    // 2. Additive mask: causal plus padding, in float32 as upstream builds it
    Tensor mask =
        torch
            .ones(s, s)
            .to(device, DType.F32.scalarType())
            .triu(1)
            .mul(new Scalar(MASKED)); // (S, S)
    mask =
        mask.view(
            1, 1, s, s); //                                                          (1, 1, S, S)
    if (attentionMask != null) {
      Tensor padding =
          attentionMask.to(device, DType.F32.scalarType()).ne(new Scalar(1.0)); //  (B, S) bool
      Tensor pad =
          padding
              .to(DType.F32.scalarType())
              .mul(new Scalar(MASKED))
              .view(b, 1, 1, s); // (B, 1, 1, S)
      mask =
          mask.add(
              pad); //                                                                (B, 1, S, S)
    }
    mask = mask.to(h.scalar_type());

    // 3. Encoder layers (pre-LayerNorm)
    for (EncoderLayer layer : layers) {
      Tensor x =
          layer.norm1.forward(h); //                                                   (B, S, D)
      Tensor q =
          layer
              .q
              .forward(x)
              .view(b, s, heads, hd)
              .transpose(1, 2); //                  (B, H, S, hd)
      Tensor k =
          layer
              .k
              .forward(x)
              .view(b, s, heads, hd)
              .transpose(1, 2); //                  (B, H, S, hd)
      Tensor v =
          layer
              .v
              .forward(x)
              .view(b, s, heads, hd)
              .transpose(1, 2); //                  (B, H, S, hd)
      Tensor a =
          torch.scaled_dot_product_attention(
              q,
              k,
              v,
              new TensorOptional(mask),
              0.0,
              false,
              new DoubleOptional(),
              false); //       (B, H, S, hd)
      a =
          a.transpose(1, 2)
              .reshape(b, s, d); //                                               (B, S, D)
      h =
          h.add(
              layer.out.forward(
                  a)); //                                                      (B, S, D)
      x =
          layer.norm2.forward(
              h); //                                                           (B, S, D)
      x =
          layer.fc2.forward(
              activation(layer.fc1.forward(x))); //                              (B, S, D)
      h =
          h.add(
              x); //                                                                         (B, S,
      // D)
    }
    Tensor last =
        finalLayerNorm.forward(h); //                                                (B, S, D)

    // 4. Pooling at the end-of-text token
    Tensor ids32 = ids.to(DType.I32.scalarType());
    Tensor where =
        config.legacyPooling()
            ? ids32.argmax(
                new LongOptional(-1),
                false) //                                         (B) largest id
            : ids32
                .eq(new Scalar((long) config.eosTokenId()))
                .to(DType.I32.scalarType())
                .argmax(
                    new LongOptional(-1),
                    false); //                                           (B) first eos
    Tensor index =
        where.view(b, 1, 1).expand(b, 1, d); //                                     (B, 1, D)
    Tensor pooled =
        last.gather(1, index).squeeze(1); //                                       (B, D)
    return new Output(last, pooled);
  }

  private void checkRange(Tensor ids) {
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
  }

  private Tensor activation(Tensor x) {
    switch (config.hiddenAct()) {
      case "quick_gelu":
        return x.mul(torch.sigmoid(x.mul(new Scalar(1.702))));
      case "gelu":
        return torch.gelu(x);
      case "gelu_new":
      case "gelu_pytorch_tanh":
      case "gelu_fast":
        return torch.gelu(x, "tanh");
      case "relu":
        return torch.relu(x);
      case "silu":
      case "swish":
        return torch.silu(x);
      default:
        throw new IllegalStateException("unsupported activation " + config.hiddenAct());
    }
  }
}
