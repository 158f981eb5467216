package io.jsora.bench;

import io.jsora.model.dit.DiT;
import io.jsora.model.dit.TextConditioning;
import io.jsora.nn.Trace;
import io.jsora.tensor.Autocast;
import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
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
 * {@link ModelBench}'s steps under a {@link Profile}: the same model, inputs and loss, each
 * benchmark's record carrying its {@link ProfileTable} as {@code extra.profile}. The recorded step
 * times include the recorder's own cost (row {@code (profiler)}); compare speeds with the plain
 * benchmark, and read this one for where the time goes.
 *
 * <p>Phases of a step: {@code forward} (the model, and {@code loss} = mean square of the output),
 * {@code backward} ({@code backward.loss}, {@code backward.final_layer}, {@code backward.blocks.i}
 * from the last block down; the rest, the embedders', is row {@code (backward)}), {@code zero_grad}
 * and {@code release} (closing the step's tensors). On CUDA the times are host times.
 */
public final class ModelProfile {
  private ModelProfile() {}

  /**
   * Profiles forward, and forward + backward per checkpointing setting, over {@code runs} steps
   * each after {@code warmup}.
   */
  public static List<BenchRecord> run(ModelBench.Options o, Device device, int warmup, int runs)
      throws Exception {
    if (o.spSize() > 1) {
      throw new IllegalArgumentException(
          "--profile runs one process: drop --sp-size " + o.spSize());
    }
    if (runs < 1 || warmup < 0) {
      throw new IllegalArgumentException(
          "--profile needs --runs >= 1 and --warmup >= 0, got " + runs + " and " + warmup);
    }
    Natives.load();
    Seeds.manualSeed(0);
    List<BenchRecord> out = new ArrayList<>();
    long[] lat = o.latent();
    try (DiT model = new DiT(o.config())) {
      try (PointerScope s = new PointerScope()) {
        model.to(device, false);
      }
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
        out.add(
            profiled(
                "model_forward",
                cfg,
                warmup,
                runs,
                p -> {
                  try (NoGradGuard g = new NoGradGuard();
                      Autocast a = Autocast.of(o.precision(), device)) {
                    model.forward(x, t, text.text(), text.mask());
                    Devices.synchronize(device);
                  }
                  phase(p, "forward");
                }));

        model.train(true);
        for (boolean gc :
            o.gradCheckpoint() == null
                ? new boolean[] {false, true}
                : new boolean[] {o.gradCheckpoint()}) {
          model.setGradCheckpoint(gc);
          Map<String, Object> c = new LinkedHashMap<>(cfg);
          c.put("grad_checkpoint", gc);
          String name = gc ? "model_forward_backward_checkpointed" : "model_forward_backward";
          out.add(profiled(name, c, warmup, runs, p -> trainStep(model, x, t, text, o, device, p)));
        }
        model.setGradCheckpoint(false);
      }
    }
    return out;
  }

  /**
   * One forward + backward as {@link ModelBench} runs it, its phases closed on {@code p} (when
   * given).
   */
  static void trainStep(
      DiT model,
      Tensor x,
      Tensor t,
      TextConditioning text,
      ModelBench.Options o,
      Device device,
      Profile p) {
    Tensor loss;
    try (Autocast a = Autocast.of(o.precision(), device)) {
      Tensor y =
          Trace.mark("loss", model.forward(x, t, text.text(), text.mask())); // (B, C, T, H, W)
      loss = Trace.of("loss", () -> y.to(torch.ScalarType.Float).square().mean()); // ()
    }
    phase(p, "forward");
    loss.backward();
    Devices.synchronize(device);
    phase(p, "backward");
    model.zero_grad(true);
    phase(p, "zero_grad");
  }

  private static void phase(Profile p, String name) {
    if (p != null) {
      p.phaseEnd(name);
    }
  }

  /** One profiled step. */
  @FunctionalInterface
  interface Step {
    void run(Profile p) throws Exception;
  }

  /**
   * Runs {@code warmup} plain steps, then {@code runs} steps under one profile, each in its own
   * scope (closing it is phase {@code release}); the record's times are the profiled steps'.
   */
  static BenchRecord profiled(String name, Map<String, Object> cfg, int warmup, int runs, Step step)
      throws Exception {
    for (int i = 0; i < warmup; i++) {
      try (PointerScope s = new PointerScope()) {
        step.run(null);
      }
    }
    double[] samples = new double[runs];
    ProfileTable table;
    try (Profile p = Profile.start()) {
      for (int r = 0; r < runs; r++) {
        long t0 = System.nanoTime();
        try (PointerScope s = new PointerScope()) {
          step.run(p);
        }
        p.phaseEnd("release");
        samples[r] = (System.nanoTime() - t0) / 1e9;
        p.stepDone();
      }
      p.close();
      table = p.table();
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("profile", table);
    extra.put("step_s", samples);
    return BenchRecord.of(name + "_profiled", cfg, new Timing(samples)).withExtra(extra);
  }
}
