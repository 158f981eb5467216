package io.jsora.model.dit;

import io.jsora.nn.Attention;
import io.jsora.nn.CaptionEmbedder;
import io.jsora.nn.Checkpoint;
import io.jsora.nn.Init;
import io.jsora.nn.Layer;
import io.jsora.nn.LocalScope;
import io.jsora.nn.PatchEmbed;
import io.jsora.nn.SinCos;
import io.jsora.nn.TimestepEmbedder;
import io.jsora.nn.Trace;
import io.jsora.parallel.SequenceParallel;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The video diffusion transformer: latent video, timestep and text in, noise prediction (and
 * variance, with learned sigma) out, at any T, H, W.
 *
 * <h2>API for trainers and samplers</h2>
 *
 * <pre>
 *   DiT model = new DiT(config);                         // outside any step scope; close() frees it
 *   model.to(device, false); model.train(true);          // Module methods
 *   try (PointerScope step = new PointerScope()) {
 *     Tensor out = model.forward(x, t, text, textMask, dropText);  // [B, C_out, T, H, W]
 *     ... loss.backward(); optimizer.step();             // backward inside the same scope
 *   }
 * </pre>
 *
 * <ul>
 *   <li>{@code x}: {@code [B, C, T, H, W]} float, H and W multiples of the patch size;
 *   <li>{@code t}: {@code [B]} timesteps, int64 or float;
 *   <li>{@code text}: states {@code [B, L, Dt]}, or pooled {@code [B, Dt]} for {@link Arch#ADALN};
 *   <li>{@code textMask}: {@code [B, L]} (bool or 0/1, 1 = real token) or null (all real); ignored
 *       for {@code adaln};
 *   <li>{@code dropText}: {@code [B]} bool, true replaces that sample's text by zeros (the null
 *       text for classifier-free guidance), or null. The model never draws random numbers: the
 *       trainer draws these flags (probability {@link DiTConfig#textDropoutProb()}) from its seeded
 *       streams; a sampler passes zero text for the unconditional half instead.
 * </ul>
 *
 * Every tensor must be on the model's device. Forward passes must run inside a {@code PointerScope}
 * (results and internal tensors belong to it) and backward must run before that scope closes. Each
 * block runs in its own local scope, so only what autograd saves outlives it; with {@link
 * #setGradCheckpoint} (or {@code grad_checkpoint} in the config) and training mode, blocks keep
 * only their inputs and recompute in backward ({@link Checkpoint}).
 *
 * <h2>Sequence parallelism</h2>
 *
 * With {@link #setSequenceParallel} (a group of P ranks that all receive the same batch) the token
 * sequence is split after the embeddings: each rank runs the blocks on S/P tokens, self-attention
 * goes through {@link io.jsora.parallel.SpAttention} (Ulysses or FastSeq), cross-attention attends
 * the rank's own queries to the whole text, and the sequence is gathered before the final layer, so
 * every rank returns the whole output. A sequence whose length (with {@code token-concat}'s text
 * tokens) is not a multiple of P is padded at the end with tokens that self-attention masks out and
 * the gather drops. Parameters under {@code blocks.} then get partial gradients (see {@link
 * #hasCompleteGradient}). At P = 1 (the default) none of this runs.
 *
 * <p>State-dict names are the reference's: {@code video_embedder.proj.*}, {@code
 * t_embedder.mlp.0/2.*}, {@code text_embedder.proj.*} (not for cross-attending archs), {@code
 * blocks.N.*}, {@code final_layer.linear/adaLN_modulation.1.*}. The positional tables are computed,
 * not stored. A fresh model outputs zeros (adaLN-zero).
 */
public final class DiT extends Layer {
  private final DiTConfig config;
  private final PatchEmbed videoEmbedder;
  private final TimestepEmbedder tEmbedder;
  private final CaptionEmbedder textEmbedder;
  private final List<DiTBlock> blocks;
  private final FinalLayer finalLayer;
  private boolean gradCheckpoint;
  private SequenceParallel sp = SequenceParallel.none();

  /**
   * Builds the model with the reference initialisation (seed libtorch first for repeatable
   * weights).
   */
  public DiT(DiTConfig config) {
    this.config = config;
    long d = config.hiddenSize();
    videoEmbedder =
        child("video_embedder", new PatchEmbed(config.inChannels(), d, config.patchSize()));
    tEmbedder = child("t_embedder", new TimestepEmbedder(d));
    textEmbedder =
        config.modelArch().crossAttends() && !config.textToC()
            ? null
            : child("text_embedder", new CaptionEmbedder(config.textEmbedDim(), d));
    ModuleListImpl list = child("blocks", new ModuleListImpl());
    List<DiTBlock> bs = new ArrayList<>();
    for (int i = 0; i < config.depth(); i++) {
      DiTBlock b = own(DiTBlock.create(config));
      list.push_back(b);
      bs.add(b);
    }
    blocks = Collections.unmodifiableList(bs);
    finalLayer = child("final_layer", new FinalLayer(d, config.patchSize(), config.outChannels()));
    gradCheckpoint = config.gradCheckpoint();
    initialize();
  }

  private void initialize() {
    // the patch embedding keeps PyTorch's Conv2d initialisation, as in the reference
    Init.xavier(tEmbedder.fc0());
    Init.xavier(tEmbedder.fc2());
    Init.normalWeight(tEmbedder.fc0(), 0.02);
    Init.normalWeight(tEmbedder.fc2(), 0.02);
    if (textEmbedder != null) {
      // The reference draws this projection from N(0, 0.02), mimicking DiT's class-embedding table.
      // jsora keeps Xavier: it scales the text signal by the text width, and with a narrow encoder
      // (the built-in one is 64 wide) N(0, 0.02) left captions nearly indistinguishable in c, so
      // training ignored them (measured: 0% direction adherence vs 100% with Xavier, same run).
      Init.xavier(textEmbedder.proj());
    }
    for (DiTBlock b : blocks) {
      b.initialize();
    }
    finalLayer.initialize();
  }

  public DiTConfig config() {
    return config;
  }

  /** The blocks, in order (read-only). */
  public List<DiTBlock> blocks() {
    return blocks;
  }

  /** Whether blocks recompute their activations in backward (training mode only). */
  public boolean gradCheckpoint() {
    return gradCheckpoint;
  }

  public void setGradCheckpoint(boolean on) {
    gradCheckpoint = on;
  }

  /**
   * Splits the token sequence over {@code sp}'s group from now on ({@link SequenceParallel#none()}
   * switches it off). Every rank of the group must then call forward with the same inputs.
   *
   * @throws IllegalArgumentException when the model has self-attention whose head count is not
   *     divisible by the group size
   */
  public void setSequenceParallel(SequenceParallel sp) {
    if (sp == null) {
      throw new IllegalArgumentException(
          "sequence parallel: pass SequenceParallel.none() to switch it off, not null");
    }
    if (sp.enabled() && config.modelArch() != Arch.CROSS_ATTN) {
      sp.checkHeads(config.numHeads());
    }
    this.sp = sp;
    for (DiTBlock b : blocks) {
      b.setSequenceParallel(sp);
    }
  }

  public SequenceParallel sequenceParallel() {
    return sp;
  }

  /**
   * Whether the parameter {@code name} gets its complete gradient on every rank of a
   * sequence-parallel group (it is used outside the split region: embedders, final layer) rather
   * than a partial one to be summed over the group (the blocks). The predicate {@code GradientSync}
   * and {@code ZeroAdamW} take.
   */
  public static boolean hasCompleteGradient(String name) {
    return !name.startsWith("blocks.");
  }

  /** {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor)} without text dropout. */
  public Tensor forward(Tensor x, Tensor t, Tensor text, Tensor textMask) {
    return forward(x, t, text, textMask, null);
  }

  /**
   * One forward pass over a batch of equally shaped latents (no padding, no video mask).
   *
   * @param x {@code [B, C, T, H, W]}
   * @param t {@code [B]}
   * @param text {@code [B, L, Dt]}, or {@code [B, Dt]} for adaln
   * @param textMask {@code [B, L]} or null
   * @param dropText {@code [B]} bool or null
   * @return {@code [B, C_out, T, H, W]}, owned by the enclosing scope
   */
  public Tensor forward(Tensor x, Tensor t, Tensor text, Tensor textMask, Tensor dropText) {
    long[] s = Shapes.of(x);
    checkLatent(s, "x");
    int p = config.patchSize();
    Tensor tokens = PatchEmbed.patchify(x, p); // (B, S, C*p*p)
    Tensor pos =
        config.posEmbed() == PosEmbed.THW
            ? SinCos.thw(s[2], s[3] / p, s[4] / p, config.hiddenSize())
                .to(x.device(), ScalarType.Float)
                .unsqueeze(0) // (1, S, D)
            : null;
    Tensor out = core(tokens, pos, t, text, textMask, dropText); // (B, S, p*p*C_out)
    return PatchEmbed.unpatchify(
        out, config.outChannels(), s[2], s[3], s[4], p); // (B, C_out, T, H, W)
  }

  /**
   * The transformer on a token batch.
   *
   * @param tokens {@code [B, S, C·p·p]}
   * @param thwPos {@code [B or 1, S, D]} for {@code thw}, null for {@code index}
   * @return {@code [B, S, p·p·C_out]}
   */
  private Tensor core(
      Tensor tokens, Tensor thwPos, Tensor t, Tensor text, Tensor textMask, Tensor dropText) {
    long b = Shapes.of(tokens)[0];
    long s = Shapes.of(tokens)[1];
    Arch arch = config.modelArch();
    checkConditioning(b, t, text, textMask, dropText);
    ScalarType dtype =
        videoEmbedder.proj().weight().scalar_type(); // inputs follow the weights (f32, bf16 ...)
    tokens = tokens.to(dtype);
    text = CaptionEmbedder.dropSamples(text, dropText).to(dtype); // (B, [L,] Dt)
    thwPos = thwPos == null ? null : thwPos.to(dtype);
    long textLen = arch.pooledText() ? 0 : Shapes.of(text)[1];
    Tensor tok = tokens;
    Tensor txtIn = text;
    Tensor h = Trace.of("video_embedder", () -> videoEmbedder.forward(tok)); // (B, S, D)
    Tensor c = Trace.of("t_embedder", () -> tEmbedder.forward(t)); // (B, D)
    Tensor context = null;
    Tensor selfMask = null;
    Tensor crossMask = null;
    Tensor textValid = arch.pooledText() || textMask == null ? null : textMask.to(ScalarType.Bool);
    if (textValid != null && textValid.is_cpu() && textValid.all().item_bool()) {
      // nothing padded: attention without a mask is the same and skips the mask's pass (on the CPU
      // the check is a cheap read; on a GPU it would stall the stream, so the mask stays)
      textValid = null;
    }
    if (arch == Arch.TOKEN_CONCAT) {
      Tensor txt = Trace.of("text_embedder", () -> textEmbedder.forward(txtIn)); // (B, L, D)
      if (thwPos != null) {
        h = h.add(thwPos); // (B, S, D); text tokens carry CLIP's own positions
      }
      h = torch.cat(new TensorVector(txt, h), 1); // (B, L+S, D)
      if (thwPos == null) {
        h = h.add(indexTable(textLen + s, h)); // (B, L+S, D)
      }
      if (textValid != null) {
        selfMask =
            Attention.keyPaddingMask(selfKeys(arch, b, textLen, s, textValid, h)); // (B, 1, 1, L+S)
      }
    } else {
      h = h.add(thwPos != null ? thwPos : indexTable(s, h)); // (B, S, D)
      if (arch == Arch.ADALN) {
        c = c.add(Trace.of("text_embedder", () -> textEmbedder.forward(txtIn))); // (B, D)
      } else {
        context = text; // (B, L, Dt)
        crossMask = textValid == null ? null : Attention.keyPaddingMask(textValid); // (B, 1, 1, L)
        if (config.textToC()) {
          Tensor pooled = maskedMean(text, textValid); // (B, Dt)
          c = c.add(Trace.of("text_embedder", () -> textEmbedder.forward(pooled))); // (B, D)
        }
      }
    }
    boolean recompute = gradCheckpoint && is_training();
    long seqLen = Shapes.of(h)[1]; // S, or L+S for token-concat
    Tensor cond = c;
    Tensor context0 = context;
    Tensor selfMask0 = selfMask;
    if (sp.enabled()) {
      int p = sp.size();
      long padded = (seqLen + p - 1) / p * p;
      if (padded != seqLen) {
        h = torch.pad(h, 0, 0, 0, padded - seqLen); // (B, S_pad, D)
        if (arch != Arch.CROSS_ATTN) {
          // padding tokens are keys nobody attends to; they are dropped after the gather
          Tensor real =
              keyValid(selfKeys(arch, b, textLen, s, textValid, h), b, seqLen, h); // (B, S')
          Tensor pad = torch.zeros(new long[] {b, padded - seqLen}, boolOn(h)); // (B, S_pad - S)
          selfMask0 =
              Attention.keyPaddingMask(
                  torch.cat(new TensorVector(real, pad), 1)); // (B, 1, 1, S_pad)
        }
      }
      h = sp.split(h, 1); // (B, S_pad/P, D)
      cond = sp.replicated(c); // (B, D): its gradient from the blocks is summed over the group
      context0 = context == null ? null : sp.replicated(context); // (B, L, Dt)
    }
    PointerScope step = PointerScope.getInnerScope();
    Tensor condIn = cond;
    Tensor ctx = context0;
    Tensor sm = selfMask0;
    Tensor cm = crossMask;
    for (int i = 0; i < blocks.size(); i++) {
      DiTBlock block = blocks.get(i);
      String name = "blocks." + i;
      Tensor in =
          Trace.mark(
              name,
              h); // (B, S', D): the block's backward ends when its input's gradient is complete
      h =
          recompute
              ? Checkpoint.apply(
                  a -> Trace.of(name, () -> block.forward(a[0], a[1], a[2], sm, cm)),
                  in,
                  condIn,
                  ctx) // (B, S', D)
              : sp.enabled()
                  ? SequenceParallel.withHookOwner(
                      step,
                      () ->
                          LocalScope.run(
                              () ->
                                  Trace.of(
                                      name,
                                      () ->
                                          block.forward(in, condIn, ctx, sm, cm)))) // (B, S'/P, D)
                  : LocalScope.run(
                      () ->
                          Trace.of(
                              name, () -> block.forward(in, condIn, ctx, sm, cm))); // (B, S', D)
    }
    if (sp.enabled()) {
      h = sp.gather(h, 1).narrow(1, 0, seqLen); // (B, S', D): padding dropped
    }
    if (arch == Arch.TOKEN_CONCAT) {
      h = h.narrow(1, textLen, s); // (B, S, D)
    }
    Tensor last = Trace.mark("final_layer", h); // (B, S, D)
    Tensor cFinal = c;
    return Trace.of("final_layer", () -> finalLayer.forward(last, cFinal)); // (B, S, p*p*C_out)
  }

  /**
   * Which of the self-attention keys are real, {@code [B, S']} bool or null when all are: for
   * token-concat the text's padding mask followed by the (always real) video tokens.
   */
  private static Tensor selfKeys(
      Arch arch, long b, long textLen, long s, Tensor textValid, Tensor like) {
    if (arch != Arch.TOKEN_CONCAT || textValid == null) {
      return null;
    }
    Tensor vv = torch.ones(new long[] {b, s}, boolOn(like)); // (B, S)
    return torch.cat(new TensorVector(textValid, vv), 1); // (B, L+S)
  }

  /** {@code keys}, or all-true {@code [B, n]} when null. */
  private static Tensor keyValid(Tensor keys, long b, long n, Tensor like) {
    return keys != null ? keys : torch.ones(new long[] {b, n}, boolOn(like));
  }

  /**
   * Mean of the real text states: {@code [B, L, Dt]}, {@code [B, L]} bool or null → {@code [B,
   * Dt]}.
   */
  private static Tensor maskedMean(Tensor text, Tensor valid) {
    if (valid == null) {
      return text.mean(
          new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()); // (B, Dt)
    }
    Tensor m = valid.to(text.scalar_type()).unsqueeze(2); // (B, L, 1)
    return text.mul(m).sum(1).div(m.sum(1).clamp_min(new Scalar(1.0))); // (B, Dt)
  }

  /**
   * Rows {@code 0..count-1} of the reference's token-number table, on {@code like}'s device and
   * dtype.
   */
  private Tensor indexTable(long count, Tensor like) {
    long side =
        count > config.maxNumEmbeddings()
            ? (long) Math.ceil(Math.sqrt((double) count))
            : config.indexGridSide();
    return SinCos.tokenIndex(count, config.hiddenSize(), side)
        .to(like.device(), like.scalar_type())
        .unsqueeze(0); // (1, N, D)
  }

  private static TensorOptions boolOn(Tensor like) {
    return new TensorOptions(ScalarType.Bool)
        .device(new org.bytedeco.pytorch.DeviceOptional(like.device()));
  }

  private void checkLatent(long[] s, String name) {
    if (s.length != 5) {
      throw new IllegalArgumentException(
          name + ": expected [B, C, T, H, W], found " + Shapes.format(s));
    }
    if (s[1] != config.inChannels()) {
      throw new IllegalArgumentException(
          name
              + ": expected "
              + config.inChannels()
              + " channels (in_channels), found "
              + s[1]
              + " in "
              + Shapes.format(s));
    }
    int p = config.patchSize();
    if (s[3] % p != 0 || s[4] % p != 0 || s[2] < 1) {
      throw new IllegalArgumentException(
          name
              + ": height "
              + s[3]
              + " and width "
              + s[4]
              + " must be multiples of the patch size "
              + p
              + ", found "
              + Shapes.format(s));
    }
  }

  private void checkConditioning(long b, Tensor t, Tensor text, Tensor textMask, Tensor dropText) {
    Shapes.check(t, "t", b);
    if (config.modelArch().pooledText()) {
      Shapes.check(text, "text (pooled, for adaln)", b, config.textEmbedDim());
    } else {
      Shapes.check(text, "text", b, -1, config.textEmbedDim());
      if (textMask != null) {
        Shapes.check(textMask, "text_mask", b, Shapes.of(text)[1]);
      }
    }
    if (dropText != null) {
      Shapes.check(dropText, "drop_text", b);
    }
  }
}
