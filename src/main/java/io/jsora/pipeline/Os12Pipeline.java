package io.jsora.pipeline;

import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.diffusion.rflow.Loops;
import io.jsora.diffusion.rflow.MaskStrategy;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowSampler;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.model.osvae.OsVaeCompressor;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.pipeline.Os12Listener.Stage;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import io.jsora.video.Frames;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Open-Sora 1.2 generation ({@code scripts/inference.py}): prompts, optional reference images or
 * videos and a mask strategy in, video out, through the three components one at a time so that the
 * largest alone bounds the memory:
 *
 * <pre>
 *   1. T5        prompts (+ " aesthetic score: 6.5.") → y [B, 1, L, D], mask [B, L]; T5 freed
 *   2. VAE       references → latents [C, T_ref, h, w]            (only with references)
 *   3. STDiT3    per clip k: z ~ N(0, I) [B, C, T', h, w]; references pasted by the strategy;
 *                rectified flow, guided against the checkpoint's null caption
 *   4. VAE       decode clip k; before clip k+1 re-encode it and carry its last L latent frames
 *   5.           clip 0 + every later clip minus its first 17·L/5 frames → uint8 video
 * </pre>
 *
 * With one clip, STDiT3 is freed before the VAE decodes and the VAE is freed before STDiT3 loads;
 * with several, both stay loaded from the first clip on (each clip needs both). The initial noise,
 * the re-noising draws and the VAE posteriors come from one CPU generator seeded {@code seed}, in
 * that order per clip; drawn in float32 (upstream draws z in bf16), so a run repeats exactly in
 * jsora but not bit for bit against upstream.
 */
public final class Os12Pipeline {
  private final Os12Components parts;
  private final Device device;

  /**
   * @param device where to run (the components are loaded there); stays owned by the caller
   */
  public Os12Pipeline(Os12Components parts, Device device) {
    this.parts = parts;
    this.device = device;
  }

  public Os12Components components() {
    return parts;
  }

  /**
   * Generates one video per prompt.
   *
   * @throws IOException when a component or a reference cannot be read
   */
  public Os12Result generate(Os12Request req, Os12Listener listener) throws IOException {
    // 1. Sizes: the table's pixel size conditions the model; the VAE sees it cut to its factor
    STDiT3Config mc = parts.modelConfig();
    int f = parts.spatialFactor();
    int h = req.height() / f * f;
    int w = req.width() / f * f;
    if (h < f || w < f) {
      throw new IllegalArgumentException(
          "video size " + req.height() + "x" + req.width() + " is below the VAE's factor " + f);
    }
    long[] latent = parts.latentShape(req.numFrames(), h, w); // (C, T', h', w')
    int b = req.prompts().size();
    long[] zShape = {b, latent[0], latent[1], latent[2], latent[3]};
    // what T5 reads for each (loop, prompt), each distinct text encoded once
    List<String> texts = new ArrayList<>();
    long[][] textOf = new long[req.loops()][b];
    for (int loop = 0; loop < req.loops(); loop++) {
      for (int i = 0; i < b; i++) {
        String t = req.textFor(i, loop);
        int k = texts.indexOf(t);
        if (k < 0) {
          k = texts.size();
          texts.add(t);
        }
        textOf[loop][i] = k;
      }
    }
    Os12Components.StageDtypes dt = parts.dtypes();

    List<Tensor> owned = new ArrayList<>(); // every tensor kept across stages, closed at the end
    List<Tensor> refLatents = new ArrayList<>();
    List<Tensor> clipLatents = new ArrayList<>();
    List<Tensor> clips = new ArrayList<>();
    STDiT3 model = null;
    OsVaeCompressor vae = null;
    boolean resident = req.loops() > 1;
    try (Generator gen = Seeds.cpuGenerator(req.seed())) {
      NoiseSource noise = NoiseSource.fromGenerator(gen, device);

      // 2. Text: T5 loaded, run once over all prompts (every loop's text), freed
      Tensor y;
      Tensor mask;
      listener.begin(
          Stage.TEXT,
          String.format(
              Locale.ROOT,
              "T5 text encoder in %s, %d text(s), %d tokens",
              dt.text(),
              texts.size(),
              mc.modelMaxLength()),
          1);
      try (TextEncoder enc = parts.loadTextEncoder(mc.modelMaxLength())) {
        if (enc.hiddenSize() != mc.captionChannels()) {
          throw new IllegalArgumentException(
              "the text encoder "
                  + enc.id()
                  + " is "
                  + enc.hiddenSize()
                  + " wide but the STDiT3 takes caption_channels "
                  + mc.captionChannels());
        }
        // each text alone (as upstream's batch of one): a text's states do not depend on which
        // other texts share the run, since a batched matrix product may round differently
        try (PointerScope s = new PointerScope();
            NoGradGuard g = new NoGradGuard()) {
          TensorVector hidden = new TensorVector();
          TensorVector masks = new TensorVector();
          for (String text : texts) {
            try (TextEmbeddings emb = enc.encode(List.of(text))) {
              hidden.push_back(emb.hidden()); // (1, L, D)
              masks.push_back(emb.mask()); // (1, L)
            }
          }
          y = keep(owned, torch.cat(hidden).to(device, ScalarType.Float).unsqueeze(1)); // (N,1,L,D)
          mask = keep(owned, torch.cat(masks).to(device, ScalarType.Long)); // (N, L)
        }
      }
      listener.step(Stage.TEXT);
      listener.end(Stage.TEXT);

      // 3. References: read at the VAE's size, encoded once, shared by every prompt
      if (!req.references().isEmpty()) {
        listener.begin(
            Stage.ENCODE,
            String.format(
                Locale.ROOT,
                "VAE in %s, encoding %d reference(s)",
                dt.vae(),
                req.references().size()),
            req.references().size());
        vae = parts.loadVae(req.seed());
        for (Path ref : req.references()) {
          try (PointerScope s = new PointerScope();
              NoGradGuard g = new NoGradGuard();
              Tensor frames = ReferenceVideo.read(ref, h, w); // (T, H, W, 3) uint8
              Tensor video = Frames.toModel(frames); // (1, 3, T, H, W)
              Tensor z = vae.encode(video)) { // (1, C, T_ref, h', w')
            refLatents.add(keep(owned, z.select(0, 0).to(device, ScalarType.Float)));
          }
          listener.step(Stage.ENCODE);
        }
        listener.end(Stage.ENCODE);
        if (!resident) {
          vae.close();
          vae = null;
        }
      }

      // 4. Clips: sample, decode, and carry the end of each into the next
      RFlowConfig rf =
          RFlowConfig.inference12()
              .withNumSamplingSteps(req.numSteps())
              .withCfgScale(req.cfgScale());
      RFlowSampler sampler =
          RFlowSampler.of(
              rf,
              VideoSize.batch(b, req.height(), req.width(), req.numFrames()),
              SizePrecision.BFLOAT16);
      List<List<Tensor>> refs = new ArrayList<>();
      List<MaskStrategy> strategies = new ArrayList<>();
      for (int i = 0; i < b; i++) {
        refs.add(new ArrayList<>(refLatents));
        strategies.add(req.maskStrategy());
      }
      for (int loop = 0; loop < req.loops(); loop++) {
        if (loop > 0) {
          listener.begin(
              Stage.ENCODE,
              String.format(Locale.ROOT, "VAE in %s, re-encoding clip %d", dt.vae(), loop),
              1);
          try (PointerScope s = new PointerScope();
              NoGradGuard g = new NoGradGuard();
              Tensor z = vae.encode(clips.get(loop - 1))) {
            for (int i = 0; i < b; i++) {
              refs.get(i).add(keep(owned, z.select(0, i).to(device, ScalarType.Float)));
              strategies.set(
                  i,
                  strategies
                      .get(i)
                      .append(
                          Loops.conditionGroup(
                              loop,
                              refs.get(i).size() - 1,
                              req.conditionFrameLength(),
                              Os12Request.CONDITION_FRAME_EDIT)));
            }
          }
          listener.step(Stage.ENCODE);
          listener.end(Stage.ENCODE);
        }
        listener.begin(
            Stage.DENOISE,
            String.format(
                Locale.ROOT,
                "STDiT3 in %s, clip %d of %d, latent %s, %d steps, guidance %s",
                dt.model(),
                loop + 1,
                req.loops(),
                Arrays.toString(zShape),
                req.numSteps(),
                req.cfgScale()),
            req.numSteps());
        if (model == null) {
          model = parts.loadModel();
        }
        Tensor sampled =
            denoise(
                model,
                sampler,
                noise,
                zShape,
                y,
                mask,
                textOf[loop],
                req,
                refs,
                strategies,
                loop,
                listener);
        try (PointerScope s = new PointerScope()) {
          clipLatents.add(keep(owned, sampled.cpu().clone())); // (B, C, T', h', w')
        }
        listener.end(Stage.DENOISE);
        if (!resident) {
          model.close();
          model = null;
        }
        listener.begin(
            Stage.DECODE,
            String.format(
                Locale.ROOT, "VAE in %s, decoding clip %d of %d", dt.vae(), loop + 1, req.loops()),
            1);
        if (vae == null) {
          vae = parts.loadVae(req.seed());
        }
        try (Tensor z = sampled) {
          Tensor clip = vae.decode(z, req.numFrames()); // (B, 3, T, H, W) in [-0.5, 0.5]
          owned.add(clip);
          clips.add(clip);
        }
        listener.step(Stage.DECODE);
        listener.end(Stage.DECODE);
      }

      // 5. Join the clips without the frames each later one carried over, to bytes
      int carried = Loops.pixelFrames(req.conditionFrameLength());
      try (PointerScope s = new PointerScope();
          TensorVector pieces = new TensorVector()) {
        for (int k = 0; k < clips.size(); k++) {
          Tensor c = clips.get(k); // (B, 3, T, H, W)
          pieces.push_back(k == 0 ? c : c.narrow(2, carried, c.size(2) - carried));
        }
        Tensor video = Frames.toBytes(torch.cat(pieces, 2)); // (B, T_out, H, W, 3), caller owns
        return new Os12Result(video, copies(clipLatents), copies(refLatents));
      }
    } finally {
      if (model != null) {
        model.close();
      }
      if (vae != null) {
        vae.close();
      }
      owned.forEach(Tensor::close);
    }
  }

  /**
   * One clip's rectified-flow run; returns the latent (caller owns). Prompt {@code i} reads text
   * {@code textOf[i]} of the encoded texts {@code yAll} and {@code maskAll}.
   */
  private Tensor denoise(
      STDiT3 model,
      RFlowSampler sampler,
      NoiseSource noise,
      long[] zShape,
      Tensor yAll,
      Tensor maskAll,
      long[] textOf,
      Os12Request req,
      List<List<Tensor>> refs,
      List<MaskStrategy> strategies,
      int loop,
      Os12Listener listener) {
    int b = (int) zShape[0];
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      Tensor z = noise.draw(zShape, 0).to(device, ScalarType.Float).clone(); // (B, C, T', h', w')
      Tensor pick = Tensors.of(textOf, b).to(device, ScalarType.Long); // (B)
      Tensor y = yAll.index_select(0, pick); // (B, 1, L, D)
      Tensor mask = maskAll.index_select(0, pick); // (B, L)
      boolean conditioned =
          refs.get(0).size() > 0 || strategies.stream().anyMatch(m -> !m.groups().isEmpty());
      Tensor frameMask =
          conditioned
              ? MaskStrategy.apply(z, refs, strategies, loop, Os12Request.ALIGN)
              : null; // (B, T') edit ratios, or none: every frame generated
      long[] ys = {b, 1, y.size(2), y.size(3)};
      Tensor nul = model.nullCaption().to(device, ScalarType.Float).expand(ys); // (B, 1, L, D)
      Tensor y2 = torch.cat(new TensorVector(y, nul), 0); // (2B, 1, L, D)
      Tensor fps2 = sizes(2 * b, req.conditionFps()); // (2B)
      Tensor h2 = sizes(2 * b, req.height()); // (2B)
      Tensor w2 = sizes(2 * b, req.width()); // (2B)
      FlowModel flow = (x, t, xMask) -> model.forward(x, t, y2, mask, xMask, fps2, h2, w2);
      try (Tensor out =
          sampler.sample(
              flow,
              z,
              frameMask == null ? null : frameMask.to(device, ScalarType.Float),
              noise,
              (done, total, t) -> listener.step(Stage.DENOISE))) {
        return Scopes.keep(out.to(ScalarType.Float).clone()); // (B, C, T', h', w')
      }
    }
  }

  /**
   * {@code value} for each of {@code n} rows as the model sees it: rounded to bf16, the dtype
   * upstream's inference passes the sizes and fps in.
   */
  private Tensor sizes(int n, double value) {
    float[] v = new float[n];
    Arrays.fill(v, (float) value);
    return Tensors.of(v, n).to(ScalarType.BFloat16).to(device, ScalarType.Float);
  }

  /** CPU copies of {@code tensors}, owned by the caller (call inside a scope). */
  private static List<Tensor> copies(List<Tensor> tensors) {
    List<Tensor> out = new ArrayList<>();
    for (Tensor t : tensors) {
      out.add(Scopes.keep(t.cpu().clone()));
    }
    return out;
  }

  /** Keeps {@code t} (made in the current scope) past it, to be closed with {@code owned}. */
  private static Tensor keep(List<Tensor> owned, Tensor t) {
    Tensor k = Scopes.keep(t);
    owned.add(k);
    return k;
  }
}
