package io.jsora.bench;

import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiT;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTCost;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.dit.TextConditioning;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.CompressorShape;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.ParallelContext;
import io.jsora.parallel.ParallelOptions;
import io.jsora.parallel.SequenceParallel;
import io.jsora.parallel.SpMode;
import io.jsora.tensor.Autocast;
import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Precision;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The DiT alone on random inputs of a video's latent shape: forward, and forward + backward with
 * and without activation checkpointing. The compressor only sizes the latent; its own cost is not
 * included. Model FLOPs are {@link DiTCost}'s (two per multiply-add); forward + backward counts
 * three forwards, and recomputation under checkpointing is not counted as useful work.
 */
public final class ModelBench {
  private ModelBench() {}

  /**
   * What to measure.
   *
   * @param model DiT preset ({@code DiT-S/8})
   * @param arch conditioning architecture
   * @param compressor raw, vqvae or vae (sizes the latent)
   * @param frames video frames (pixels)
   * @param height video height (pixels)
   * @param width video width (pixels)
   * @param batch samples per iteration
   * @param textLen text tokens (ignored by adaln)
   * @param textDim text embedding width
   * @param gradCheckpoint null: both with and without; else only the given setting
   * @param precision fp32, bf16 or auto (as training takes it)
   * @param spSize sequence-parallel group: the job's whole world (run under {@code jsora launch}),
   *     1 alone
   * @param spMode how self-attention is split (ignored at spSize 1)
   */
  public record Options(
      String model,
      Arch arch,
      CompressorKind compressor,
      int frames,
      int height,
      int width,
      int batch,
      int textLen,
      int textDim,
      Boolean gradCheckpoint,
      Precision precision,
      int spSize,
      SpMode spMode,
      DistEnv env) {
    public Options {
      if (batch < 1 || textLen < 1 || textDim < 1) {
        throw new IllegalArgumentException("--batch, --text-len and --text-dim must be >= 1");
      }
    }

    /** The model's config with the latent's channels and the text width. */
    public DiTConfig config() {
      CompressorShape c = CompressorShape.of(compressor);
      return DiTPresets.get(model, arch).withInChannels(c.channels()).withTextEmbedDim(textDim);
    }

    /** The latent {@code [C, T', H', W']}. */
    public long[] latent() {
      return CompressorShape.of(compressor).latent(frames, height, width);
    }

    /** Video tokens per sample. */
    public long tokens() {
      long[] l = latent();
      return DiTCost.videoTokens(config(), l[1], l[2], l[3]);
    }

    /** Model FLOPs of one forward over the batch (2 per multiply-add). */
    public double forwardFlops() {
      long[] l = latent();
      return 2 * batch * DiTCost.forwardMacs(config(), l[1], l[2], l[3], textLen);
    }

    Map<String, Object> describe(Device device) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", DiTPresets.canonical(model));
      m.put("arch", arch.toString());
      m.put("compressor", compressor);
      m.put("frames", frames);
      m.put("height", height);
      m.put("width", width);
      m.put("batch", batch);
      m.put("text_len", textLen);
      m.put("tokens_per_sample", tokens());
      m.put("precision", precision);
      m.put("sp_size", spSize);
      m.put("device", Devices.name(device));
      m.put("threads", Natives.threads());
      return m;
    }
  }

  /**
   * Runs the model benchmarks.
   *
   * <p>With {@code spSize} > 1 every rank of the job (whose world must be the SP group) runs it on
   * the same inputs, each holding 1/spSize of the tokens; rates are the group's, memory this
   * rank's.
   *
   * @param peakTflops one process's matmul peak (MFU divides by the group's), or ≤ 0 to leave MFU
   *     out
   */
  public static List<BenchRecord> run(
      Options o, Device device, int warmup, int runs, double peakTflops) throws Exception {
    Natives.load();
    Seeds.manualSeed(0);
    List<BenchRecord> out = new ArrayList<>();
    long[] lat = o.latent();
    double fwdFlops = o.forwardFlops();
    double tokens = (double) o.batch() * o.tokens();
    try (ParallelContext ctx =
            o.spSize() > 1
                ? ParallelContext.create(
                    o.env(), ParallelOptions.defaults().withSpSize(o.spSize()), device.is_cuda())
                : ParallelContext.single();
        DiT model = new DiT(o.config())) {
      if (ctx.spSize() != ctx.worldSize()) {
        throw new IllegalArgumentException(
            "bench model --sp-size "
                + o.spSize()
                + " runs one sequence-parallel group: launch exactly "
                + o.spSize()
                + " processes (the job has "
                + ctx.worldSize()
                + ")");
      }
      try (PointerScope s = new PointerScope()) {
        model.to(device, false);
      }
      if (ctx.spSize() > 1) {
        model.setSequenceParallel(new SequenceParallel(ctx.sp(), o.spMode()));
      }
      peakTflops *= ctx.worldSize();
      try (PointerScope scope = new PointerScope()) {
        TensorOptions f32 = Tensors.options(DType.F32, device);
        Tensor x = torch.randn(new long[] {o.batch(), lat[0], lat[1], lat[2], lat[3]}, f32);
        Tensor t =
            torch.randint(0, 1000, new long[] {o.batch()}, Tensors.options(DType.I64, device));
        Tensor hidden = torch.randn(new long[] {o.batch(), o.textLen(), o.textDim()}, f32);
        Tensor mask =
            torch.ones(new long[] {o.batch(), o.textLen()}, Tensors.options(DType.BOOL, device));
        TextConditioning text = TextConditioning.forArch(o.arch(), hidden, mask);
        Map<String, Object> cfg = o.describe(device);

        model.eval();
        Memory.Peak peak = Memory.startPeak(device);
        Timing fwd =
            Stopwatch.time(
                warmup,
                runs,
                1,
                () -> {
                  try (NoGradGuard g = new NoGradGuard();
                      Autocast a = Autocast.of(o.precision(), device)) {
                    model.forward(x, t, text.text(), text.mask());
                    Devices.synchronize(device);
                  }
                });
        out.add(
            withRates(BenchRecord.of("model_forward", cfg, fwd), tokens, fwdFlops, peakTflops)
                .withPeakMem(peak.bytes()));

        model.train(true);
        for (boolean gc :
            o.gradCheckpoint() == null
                ? new boolean[] {false, true}
                : new boolean[] {o.gradCheckpoint()}) {
          model.setGradCheckpoint(gc);
          Map<String, Object> c = new LinkedHashMap<>(cfg);
          c.put("grad_checkpoint", gc);
          Memory.Peak p = Memory.startPeak(device);
          Timing fb =
              Stopwatch.time(
                  warmup,
                  runs,
                  1,
                  () -> {
                    Tensor loss;
                    try (Autocast a = Autocast.of(o.precision(), device)) {
                      loss =
                          model
                              .forward(x, t, text.text(), text.mask())
                              .to(torch.ScalarType.Float)
                              .square()
                              .mean();
                    }
                    loss.backward();
                    model.zero_grad(true);
                    Devices.synchronize(device);
                  });
          String name = gc ? "model_forward_backward_checkpointed" : "model_forward_backward";
          out.add(
              withRates(BenchRecord.of(name, c, fb), tokens, 3 * fwdFlops, peakTflops)
                  .withPeakMem(p.bytes()));
        }
        model.setGradCheckpoint(false);
      }
    }
    return out;
  }

  /** Adds tokens/s, TFLOP/s and (with a peak) MFU at the record's median. */
  static BenchRecord withRates(BenchRecord r, double tokens, double flops, double peakTflops) {
    double tf = flops / r.medianS() / 1e12;
    BenchRecord out = r.withTokensPerS(tokens / r.medianS()).withTflops(tf);
    return peakTflops > 0 ? out.withMfu(tf / peakTflops) : out;
  }
}
