package io.jsora.cli;

import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.Sampler;
import io.jsora.diffusion.VarianceType;
import io.jsora.model.dit.Arch;
import io.jsora.model.vae.CompressorKind;
import io.jsora.parallel.SpMode;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Precision;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The one place where flag strings become typed settings: every enum-like setting through its
 * {@code parse} (the {@link io.jsora.config.Choice} convention, aliases included), so a flag and a
 * config-file key accept the same spellings and fail with the same message (picocli adds the flag).
 */
final class Converters {
  private Converters() {}

  /** Registers the converters on {@code cl} and all its subcommands. */
  static void register(CommandLine cl) {
    cl.registerConverter(Arch.class, Arch::parse);
    cl.registerConverter(BetaSchedule.class, BetaSchedule::parse);
    cl.registerConverter(Prediction.class, Prediction::parse);
    cl.registerConverter(VarianceType.class, VarianceType::parse);
    cl.registerConverter(Sampler.Method.class, Sampler.Method::parse);
    cl.registerConverter(SpMode.class, SpMode::parse);
    cl.registerConverter(CompressorKind.class, CompressorKind::parse);
    cl.registerConverter(TrainConfig.LrScheduleKind.class, TrainConfig.LrScheduleKind::parse);
    cl.registerConverter(Precision.class, Precision::parse);
    cl.registerConverter(DeviceSpec.class, DeviceSpec::parse);
    cl.registerConverter(ResumeSpec.class, ResumeSpec::parse);
    cl.registerConverter(LatentDtype.class, LatentDtype::parse);
    cl.registerConverter(io.jsora.run.DiffusionProcess.class, io.jsora.run.DiffusionProcess::parse);
    cl.registerConverter(io.jsora.run.ModelFamily.class, io.jsora.run.ModelFamily::parse);
    cl.registerConverter(
        io.jsora.diffusion.rflow.SampleMethod.class, io.jsora.diffusion.rflow.SampleMethod::parse);
    cl.registerConverter(
        io.jsora.diffusion.rflow.MaskType.class, io.jsora.diffusion.rflow.MaskType::parse);
    cl.registerConverter(io.jsora.pipeline.Resolution.class, io.jsora.pipeline.Resolution::parse);
    cl.registerConverter(io.jsora.pipeline.AspectRatio.class, io.jsora.pipeline.AspectRatio::parse);
    cl.registerConverter(io.jsora.pipeline.NumFrames.class, io.jsora.pipeline.NumFrames::parse);
    cl.registerConverter(io.jsora.pipeline.StageDtype.class, io.jsora.pipeline.StageDtype::parse);
    cl.registerConverter(
        io.jsora.bench.Os12SampleBench.T5Size.class, io.jsora.bench.Os12SampleBench.T5Size::parse);
    cl.registerConverter(
        io.jsora.diffusion.rflow.MaskStrategy.class, io.jsora.diffusion.rflow.MaskStrategy::parse);
    cl.registerConverter(
        io.jsora.data.SynthConfig.Start.class, io.jsora.data.SynthConfig.Start::parse);
  }

  /**
   * The reference's underscore spellings of long flags ({@code --use_pooled_text}, {@code
   * --batch_size}) as the dashed names every jsora flag has: rewrites the name part of each {@code
   * --a_b[=value]} argument before a bare {@code --} (what follows it belongs to another program,
   * e.g. under {@code jsora launch}).
   */
  static String[] dashedFlagNames(String... args) {
    List<String> out = new ArrayList<>(args.length);
    boolean rest = false;
    for (String a : args) {
      if (a.equals("--")) {
        rest = true;
      }
      if (!rest && a.startsWith("--") && a.length() > 2) {
        int eq = a.indexOf('=');
        String name = eq < 0 ? a : a.substring(0, eq);
        if (name.matches("--[A-Za-z0-9]+(_[A-Za-z0-9]+)+")) {
          a = name.replace('_', '-') + (eq < 0 ? "" : a.substring(eq));
        }
      }
      out.add(a);
    }
    return out.toArray(new String[0]);
  }
}
