package io.jsora.model.stdit3;

import io.jsora.nn.Checkpoint;
import io.jsora.nn.Layer;
import io.jsora.nn.LocalScope;
import io.jsora.parallel.SequenceParallel;
import io.jsora.tensor.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * STDiT3, the Open-Sora 1.2 video transformer: alternating spatial and temporal blocks over 3D
 * patch tokens, PixArt-style modulation, cross-attention to T5 captions, fps and resolution
 * conditioning, and a per-frame mask for conditioning frames. Predicts the rectified-flow velocity
 * (channels {@code 0..in-1}) and, with {@code pred_sigma}, unused variance channels.
 *
 * <h2>API</h2>
 *
 * <pre>
 *   STDiT3 model = new STDiT3(config);          // outside any step scope; close() frees it
 *   StrictLoader.load(model, weights, file); model.eval();
 *   try (PointerScope step = new PointerScope()) {
 *     Tensor v = model.forward(x, timestep, y, mask, xMask, fps, height, width);  // [B, 2C, T, H, W]
 *   }
 * </pre>
 *
 * <ul>
 *   <li>{@code x} {@code [B, in, T, H, W]} latent (any T, H, W: padded to the patch, output
 *       cropped);
 *   <li>{@code timestep} {@code [B]} float in [0, 1000];
 *   <li>{@code y} {@code [B, 1, L, caption_channels]} T5 states;
 *   <li>{@code mask} {@code [n, L]} 1 = real token (n = B, or B/k: tiled k times, as for a
 *       classifier-free-guidance batch {@code cat(cond, null)}), or null for all real; every sample
 *       needs at least one real token;
 *   <li>{@code xMask} {@code [B, T]} bool, true = frame being generated, false = conditioning frame
 *       (modulated as at timestep 0); or null;
 *   <li>{@code fps} {@code [B]} or {@code [1]}; {@code height}, {@code width} {@code [B]} pixels of
 *       the video (only sample 0's are used, for the position table's scale, as upstream).
 * </ul>
 *
 * The forward pass (upstream {@code STDiT3.forward}):
 *
 * <pre>
 *   tokens = x_embedder(x) + pos2d(H', W', scale = sqrt(h·w)/input_sq_size, base = round(sqrt(H'W')))
 *   t = t_embedder(timestep) + fps_embedder(fps);  t_mlp = t_block(t) = Linear(SiLU(t))   // [B, 6C]
 *   y = y_embedder(y)                                   // caption tokens, masked per sample
 *   for i: tokens = temporal_blocks[i](spatial_blocks[i](tokens))
 *   out = crop(unpatchify(final_layer(tokens, t)))
 * </pre>
 *
 * State-dict names are upstream's (973 tensors for STDiT3-XL/2): {@code x_embedder.proj.*}, {@code
 * t_embedder.mlp.0/2.*}, {@code fps_embedder.mlp.0/2.*}, {@code t_block.1.*}, {@code
 * y_embedder.y_proj.fc1/fc2.*}, {@code y_embedder.y_embedding}, {@code rope.freqs}, {@code
 * spatial_blocks.N.*}, {@code temporal_blocks.N.*}, {@code final_layer.*}.
 *
 * <p>Every forward must run inside a {@code PointerScope}; each block runs in a local scope, and
 * with {@link #setGradCheckpoint} in training mode recomputes its activations in backward. The
 * model never draws random numbers (caption dropout is the caller's: pass the null caption {@link
 * #nullCaption}).
 */
public final class STDiT3 extends Layer {
  private final STDiT3Config config;
  private final PatchEmbed3D xEmbedder;
  private final ScalarEmbedder tEmbedder;
  private final ScalarEmbedder fpsEmbedder;
  private final Linear tBlock;
  private final CaptionProjection yEmbedder;
  private final Rope rope;
  private final List<STDiT3Block> spatialBlocks;
  private final List<STDiT3Block> temporalBlocks;
  private final FinalLayer finalLayer;
  private boolean gradCheckpoint;
  private SequenceParallel sp = SequenceParallel.none();

  /**
   * Builds the model on the CPU with upstream's initialisation (seed libtorch first to repeat it).
   */
  public STDiT3(STDiT3Config config) {
    this(config, null);
  }

  /**
   * Declares the model on libtorch's {@code meta} device: every parameter and buffer has its name,
   * shape and dtype but no storage, so even STDiT3-XL/2 costs no memory beyond one block's
   * transient construction. For listing keys and shapes; it cannot run or load weights.
   */
  public static STDiT3 declare(STDiT3Config config) {
    try (Device meta = new Device("meta")) {
      return new STDiT3(config, meta);
    }
  }

  private STDiT3(STDiT3Config c, Device meta) {
    this.config = c;
    long d = c.hiddenSize();
    xEmbedder =
        child(
            "x_embedder",
            new PatchEmbed3D(
                c.inChannels(), d, new long[] {c.patch(0), c.patch(1), c.patch(2)}, meta));
    tEmbedder = child("t_embedder", new ScalarEmbedder(d, meta));
    fpsEmbedder = child("fps_embedder", new ScalarEmbedder(d, meta));
    org.bytedeco.pytorch.Module tb =
        child("t_block", new org.bytedeco.pytorch.Module()); // index 0 is the SiLU
    tBlock = child(tb, "1", new Linear(d, 6 * d, meta));
    yEmbedder =
        child(
            "y_embedder", new CaptionProjection(c.captionChannels(), d, c.modelMaxLength(), meta));
    rope = child("rope", new Rope(c.headDim(), meta));
    spatialBlocks = blocks("spatial_blocks", false, meta);
    temporalBlocks = blocks("temporal_blocks", true, meta);
    finalLayer = child("final_layer", new FinalLayer(d, c.patchOutputs(), meta));
    if (meta == null) {
      initialize();
    }
    applyTrainingSwitches();
  }

  private List<STDiT3Block> blocks(String name, boolean temporal, Device meta) {
    ModuleListImpl list = child(name, new ModuleListImpl());
    List<STDiT3Block> out = new ArrayList<>();
    for (int i = 0; i < config.depth(); i++) {
      STDiT3Block b = own(new STDiT3Block(config, temporal, meta));
      list.push_back(b);
      out.add(b);
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Upstream's {@code initialize_weights}: Xavier for every Linear, zeroed fps output and temporal
   * outputs.
   */
  private void initialize() {
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      for (Linear l : linears()) {
        l.xavier();
      }
      try (Tensor w = new Tensor(fpsEmbedder.fc0().weight())) {
        w.normal_(0.0, 0.02, new org.bytedeco.pytorch.GeneratorOptional()).close();
      }
      Linear.zero(fpsEmbedder.fc0().bias());
      Linear.zero(fpsEmbedder.fc2().weight());
      Linear.zero(fpsEmbedder.fc2().bias());
      for (STDiT3Block b : temporalBlocks) {
        Linear.zero(b.attn().proj().weight());
        Linear.zero(b.crossAttn().proj().weight());
        Linear.zero(b.mlp().fc2().weight());
      }
    }
  }

  private List<Linear> linears() {
    List<Linear> ls =
        new ArrayList<>(
            List.of(
                tEmbedder.fc0(),
                tEmbedder.fc2(),
                fpsEmbedder.fc0(),
                fpsEmbedder.fc2(),
                tBlock,
                yEmbedder.yProj().fc1(),
                yEmbedder.yProj().fc2(),
                finalLayer.linear()));
    for (List<STDiT3Block> bs : List.of(spatialBlocks, temporalBlocks)) {
      for (STDiT3Block b : bs) {
        ls.add(b.attn().qkv());
        ls.add(b.attn().proj());
        ls.add(b.crossAttn().qLinear());
        ls.add(b.crossAttn().kvLinear());
        ls.add(b.crossAttn().proj());
        ls.add(b.mlp().fc1());
        ls.add(b.mlp().fc2());
      }
    }
    return ls;
  }

  /** {@code only_train_temporal} and {@code freeze_y_embedder}: which parameters require grad. */
  private void applyTrainingSwitches() {
    if (config.onlyTrainTemporal()) {
      setRequiresGrad(this, false);
      for (STDiT3Block b : temporalBlocks) {
        setRequiresGrad(b, true);
      }
    }
    if (config.freezeYEmbedder()) {
      setRequiresGrad(yEmbedder, false);
    }
    setRequiresGrad(rope, false);
  }

  private static void setRequiresGrad(org.bytedeco.pytorch.Module m, boolean on) {
    try (TensorVector ps = m.parameters(true)) {
      for (long i = 0; i < ps.size(); i++) {
        try (Tensor p = ps.get(i)) {
          p.requires_grad_(on).close();
        }
      }
    }
  }

  public STDiT3Config config() {
    return config;
  }

  public boolean gradCheckpoint() {
    return gradCheckpoint;
  }

  /** Recompute each block's activations in backward (training mode only). */
  public void setGradCheckpoint(boolean on) {
    gradCheckpoint = on;
  }

  /**
   * Splits the spatial tokens of every frame over {@code sp}'s group from now on ({@link
   * SequenceParallel#none()} switches it off); every rank must then call forward with the same
   * inputs and gets the whole output. As upstream: the tokens are split after the position
   * embedding, spatial attention runs through {@link io.jsora.parallel.SpAttention} (a token count
   * that does not divide is padded with tokens nobody attends to), temporal attention,
   * cross-attention and the MLPs are local, and the tokens are gathered before the final layer.
   * Parameters under the blocks then get partial gradients ({@link #hasCompleteGradient}).
   *
   * @throws IllegalArgumentException when the head count is not divisible by the group size
   */
  public void setSequenceParallel(SequenceParallel sp) {
    if (sp == null) {
      throw new IllegalArgumentException(
          "sequence parallel: pass SequenceParallel.none() to switch it off, not null");
    }
    if (sp.enabled()) {
      sp.checkHeads(config.numHeads());
    }
    this.sp = sp;
    for (STDiT3Block b : spatialBlocks) {
      b.setSequenceParallel(sp);
    }
  }

  public SequenceParallel sequenceParallel() {
    return sp;
  }

  /**
   * Whether parameter {@code name} gets its complete gradient on every rank of a sequence-parallel
   * group (embedders, final layer) rather than a partial one to be summed (the blocks): the
   * predicate {@code GradientSync} and {@code ZeroAdamW} take.
   */
  public static boolean hasCompleteGradient(String name) {
    return !name.startsWith("spatial_blocks.") && !name.startsWith("temporal_blocks.");
  }

  /**
   * The null caption {@code [model_max_length, caption_channels]} ({@code y_embedder.y_embedding}).
   */
  public Tensor nullCaption() {
    return yEmbedder.yEmbedding();
  }

  public List<STDiT3Block> spatialBlocks() {
    return spatialBlocks;
  }

  public List<STDiT3Block> temporalBlocks() {
    return temporalBlocks;
  }

  /**
   * One forward pass; see the class comment for the arguments.
   *
   * @return {@code [B, C_out, T, H, W]} float32, owned by the enclosing scope
   */
  public Tensor forward(
      Tensor x,
      Tensor timestep,
      Tensor y,
      Tensor mask,
      Tensor xMask,
      Tensor fps,
      Tensor height,
      Tensor width) {
    long[] xs = Shapes.of(x);
    check(
        xs.length == 5 && xs[1] == config.inChannels(),
        "x: expected [B, " + config.inChannels() + ", T, H, W], found " + Shapes.format(xs));
    long b = xs[0];
    Shapes.check(timestep, "timestep", b);
    Shapes.check(y, "y", b, 1, -1, config.captionChannels());
    long l = Shapes.of(y)[2];
    checkFps(fps, b);
    Shapes.check(height, "height", -1);
    Shapes.check(width, "width", -1);
    ScalarType dtype = xEmbedder.weight().scalar_type();
    Device dev = x.device();
    long frames = ceilDiv(xs[2], config.patch(0));
    long rows = ceilDiv(xs[3], config.patch(1));
    long cols = ceilDiv(xs[4], config.patch(2));
    long s = rows * cols;
    if (xMask != null) {
      Shapes.check(xMask, "x_mask", b, frames);
      xMask = xMask.to(dev, ScalarType.Bool);
    }

    // 1. position table, from sample 0's pixel size as upstream
    double scale =
        Math.sqrt(height.select(0, 0).item_double() * width.select(0, 0).item_double())
            / config.inputSqSize();
    long baseSize = Math.round(Math.sqrt((double) s));
    Tensor pos =
        PositionEmbedding2D.table(rows, cols, scale, baseSize, config.hiddenSize(), dev)
            .to(dtype); // (1, S, C)

    // 2. timestep and fps conditioning
    Tensor fpsB = Shapes.of(fps)[0] == b ? fps : fps.expand(b); // (B)
    Tensor fpsEmb =
        fpsEmbedder.forward(
            fpsB.to(dev, fpsB.scalar_type())); // (B, C): fps as given, not cast (as upstream)
    Tensor t = tEmbedder.forward(timestep.to(dev, dtype)).add(fpsEmb); // (B, C)
    Tensor tMlp = tBlock.forward(torch.silu(t)); // (B, 6C)
    Tensor t0 = null;
    Tensor t0Mlp = null;
    if (xMask != null) {
      t0 = tEmbedder.forward(torch.zeros_like(timestep.to(dev, dtype))).add(fpsEmb); // (B, C)
      t0Mlp = tBlock.forward(torch.silu(t0)); // (B, 6C)
    }

    // 3. captions and their key mask
    Tensor yEmb = yEmbedder.forward(y.to(dev, dtype)).squeeze(1); // (B, L, C)
    Tensor yMask = mask == null ? null : captionMask(mask, b, l, dev); // (B, 1, 1, L)

    // 4. video tokens
    long c = config.hiddenSize();
    Tensor h =
        xEmbedder.forward(x.to(dtype)).view(b, frames, s, c).add(pos.unsqueeze(1)); // (B, T, S, C)

    // 5. with sequence parallelism: this rank's share of every frame's tokens
    long sl = s;
    Tensor keys = null;
    Tensor yIn = yEmb;
    Tensor tIn = tMlp;
    Tensor t0In = t0Mlp;
    if (sp.enabled()) {
      long padded = ceilDiv(s, sp.size()) * sp.size();
      if (padded != s) {
        h = torch.pad(h, new long[] {0, 0, 0, padded - s}); // (B, T, S_pad, C)
        keys =
            torch
                .arange(new Scalar(padded), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long))
                .lt(new Scalar(s))
                .to(dev, ScalarType.Bool)
                .view(1, 1, 1, padded); // (1, 1, 1, S_pad)
      }
      h = sp.split(h, 2); // (B, T, S_pad/P, C)
      sl = padded / sp.size();
      yIn = sp.replicated(yEmb); // (B, L, C): complete gradients outside the split region
      tIn = sp.replicated(tMlp); // (B, 6C)
      t0In = t0Mlp == null ? null : sp.replicated(t0Mlp); // (B, 6C)
    }
    h = h.reshape(b, frames * sl, c); // (B, T*S', C)

    // 6. blocks
    boolean recompute = gradCheckpoint && is_training();
    PointerScope step = PointerScope.getInnerScope();
    Tensor xm = xMask;
    Tensor ym = yMask;
    Tensor yi = yIn;
    Tensor ti = tIn;
    Tensor t0i = t0In;
    Tensor sk = keys;
    long sLocal = sl;
    for (int i = 0; i < config.depth(); i++) {
      for (STDiT3Block blk : List.of(spatialBlocks.get(i), temporalBlocks.get(i))) {
        Tensor in = h;
        h =
            recompute
                ? Checkpoint.apply(
                    a -> blk.forward(a[0], a[1], ym, a[2], xm, a[3], frames, sLocal, rope, sk),
                    in,
                    yi,
                    ti,
                    t0i) // (B, T*S', C)
                : sp.enabled()
                    ? SequenceParallel.withHookOwner(
                        step,
                        () ->
                            LocalScope.run(
                                () ->
                                    blk.forward(
                                        in, yi, ym, ti, xm, t0i, frames, sLocal, rope,
                                        sk))) // (B, T*S', C)
                    : LocalScope.run(
                        () ->
                            blk.forward(
                                in, yi, ym, ti, xm, t0i, frames, sLocal, rope, sk)); // (B, T*S, C)
      }
    }
    if (sp.enabled()) {
      h =
          sp.gather(h.view(b, frames, sl, c), 2)
              .narrow(2, 0, s)
              .reshape(b, frames * s, c); // (B, T*S, C)
    }

    // 7. final layer, unpatchify, crop
    Tensor out = finalLayer.forward(h, t, xMask, t0, frames, s); // (B, T*S, pt*ph*pw*C_out)
    return unpatchify(out, frames, rows, cols)
        .narrow(2, 0, xs[2])
        .narrow(3, 0, xs[3])
        .narrow(4, 0, xs[4])
        .to(ScalarType.Float); // (B, C_out, T, H, W)
  }

  /**
   * {@code [B, T'·H'·W', pt·ph·pw·C_out]} → {@code [B, C_out, T'·pt, H'·ph, W'·pw]}, with the patch
   * values ordered (pt, ph, pw, C_out), C_out fastest.
   */
  Tensor unpatchify(Tensor tokens, long frames, long rows, long cols) {
    long b = Shapes.of(tokens)[0];
    long pt = config.patch(0),
        ph = config.patch(1),
        pw = config.patch(2),
        co = config.outChannels();
    Tensor v =
        tokens.reshape(b, frames, rows, cols, pt, ph, pw, co); // (B, T', H', W', pt, ph, pw, C_out)
    v = v.permute(0, 7, 1, 4, 2, 5, 3, 6); // (B, C_out, T', pt, H', ph, W', pw)
    return v.reshape(b, co, frames * pt, rows * ph, cols * pw); // (B, C_out, T, H, W)
  }

  /**
   * The text mask as an SDPA key mask, tiled when it has fewer rows than the batch.
   *
   * @param mask {@code [n, L]} with {@code B % n == 0}
   * @return {@code [B, 1, 1, L]} bool
   */
  static Tensor captionMask(Tensor mask, long b, long l, Device dev) {
    long[] ms = Shapes.of(mask);
    check(
        ms.length == 2 && ms[1] == l && ms[0] >= 1 && b % ms[0] == 0,
        "mask: expected [B, "
            + l
            + "] or [B/k, "
            + l
            + "] for batch B = "
            + b
            + ", found "
            + Shapes.format(ms));
    Tensor m = mask.to(dev, ScalarType.Bool); // (n, L)
    if (ms[0] != b) {
      m = m.repeat(b / ms[0], 1); // (B, L): rows n.. repeat rows 0..n-1, as cat(cond, null) needs
    }
    long empty = m.any(1, false).logical_not().sum().item_long();
    check(
        empty == 0,
        "mask: "
            + empty
            + " sample(s) have no real caption token; every caption has at least one (</s>)");
    return m.unsqueeze(1).unsqueeze(1); // (B, 1, 1, L)
  }

  private static void checkFps(Tensor fps, long b) {
    long[] s = Shapes.of(fps);
    check(
        s.length == 1 && (s[0] == b || s[0] == 1),
        "fps: expected [" + b + "] or [1], found " + Shapes.format(s));
  }

  private static long ceilDiv(long n, long p) {
    return (n + p - 1) / p;
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
