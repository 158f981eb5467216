package io.jsora.cli;

import io.jsora.bench.BenchRecord;
import io.jsora.bench.DataBench;
import io.jsora.bench.JniBench;
import io.jsora.bench.MatmulBench;
import io.jsora.bench.ModelBench;
import io.jsora.bench.Report;
import io.jsora.bench.SampleBench;
import io.jsora.bench.TrainBench;
import io.jsora.diffusion.Sampler;
import io.jsora.model.dit.Arch;
import io.jsora.model.vae.CompressorKind;
import io.jsora.tensor.DType;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora bench ...}: measure throughput and memory; print a table, optionally write JSON. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure throughput and memory. Warm-up runs are excluded; figures are medians with min/max over several runs.",
    subcommands = {
      BenchCommand.Matmul.class,
      BenchCommand.Model.class,
      BenchCommand.Train.class,
      BenchCommand.Sample.class,
      BenchCommand.Data.class,
      BenchCommand.Jni.class,
      BenchServeCommand.class
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every benchmark takes. */
  static final class Common {
    @Option(
        names = "--json",
        paramLabel = "FILE",
        description = "Also write the records as a JSON list.")
    Path json;

    @Option(
        names = "--warmup",
        defaultValue = "2",
        description = "Untimed warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
        names = "--runs",
        defaultValue = "5",
        description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
        names = "--device",
        defaultValue = "auto",
        description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
    DeviceSpec device;

    void emit(List<BenchRecord> records, PrintWriter out) throws Exception {
      Report.table(records, out);
      if (json != null) {
        Report.writeJson(records, json);
        out.println("wrote " + json);
        out.flush();
      }
    }
  }

  @Command(
      name = "matmul",
      mixinStandardHelpOptions = true,
      description =
          "Achieved GEMM TFLOP/s in fp32 (and bf16) through libtorch: the practical peak MFU is measured against.")
  static final class Matmul implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(
        names = "--sizes",
        split = ",",
        defaultValue = "256,512,1024,2048",
        description = "Square matrix sizes (default: ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(
        names = "--dtypes",
        split = ",",
        description =
            "Element types (default: f32, plus bf16 on CUDA or a CPU with avx512_bf16 or amx_bf16).")
    List<String> dtypes;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<DType> ds = new ArrayList<>();
      for (String d : dtypes == null ? List.<String>of() : dtypes) {
        ds.add(DType.parse(d));
      }
      try (Device dev = Devices.resolve(common.device)) {
        if (dtypes == null) {
          MatmulBench.Defaults d = MatmulBench.defaultDtypes(dev.is_cuda(), MatmulBench.cpuinfo());
          ds.addAll(d.dtypes());
          if (d.note() != null) {
            out.println(d.note());
          }
        }
        List<BenchRecord> records =
            MatmulBench.run(
                dev,
                ds,
                sizes,
                common.warmup,
                common.runs,
                r -> {
                  out.printf(
                      java.util.Locale.ROOT,
                      "%s: %.3f TFLOP/s (median %.3f ms)%n",
                      r.name(),
                      r.tflops(),
                      r.medianS() * 1e3);
                  out.flush();
                });
        common.emit(records, out);
      }
      return 0;
    }
  }

  /** Which model: the options {@code bench model}, {@code train} and {@code sample} share. */
  static final class ModelChoice {
    @Option(
        names = "--model",
        defaultValue = "DiT-S/8",
        description = "DiT preset (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(
        names = "--arch",
        defaultValue = "cross-attn",
        description = "adaln, cross-attn, token-concat or self-cross (default: ${DEFAULT-VALUE}).")
    Arch arch;

    @Option(
        names = "--compressor",
        defaultValue = "raw",
        description = "raw, vqvae or vae: sizes the latent (default: ${DEFAULT-VALUE}).")
    CompressorKind compressor;
  }

  /** The video size in pixels, as {@code sample} takes it. */
  static final class VideoSize {
    @Option(
        names = "--frames",
        defaultValue = "16",
        description = "Video frames (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(
        names = "--height",
        defaultValue = "128",
        description = "Video height in pixels (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(
        names = "--width",
        defaultValue = "128",
        description = "Video width in pixels (default: ${DEFAULT-VALUE}).")
    int width;
  }

  /** Batch, text, precision and peak: what {@code bench model} and {@code train} add. */
  static final class ModelShape {
    @Option(
        names = "--batch",
        defaultValue = "1",
        description = "Samples per iteration (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--text-len",
        defaultValue = "16",
        description = "Text tokens (ignored by adaln) (default: ${DEFAULT-VALUE}).")
    int textLen;

    @Option(
        names = "--precision",
        defaultValue = "auto",
        description =
            "auto (bf16 on CUDA, fp32 on the CPU), fp32 or bf16 (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(
        names = "--peak-tflops",
        description =
            "The matmul peak MFU divides by (default: measured now with bench matmul at 1024 and 2048).")
    Double peakTflops;
  }

  /** The matmul peak for {@code precision} on {@code device}: given, or measured. */
  static double peak(ModelShape m, Device dev, PrintWriter out) throws Exception {
    if (m.peakTflops != null) {
      return m.peakTflops;
    }
    DType d = io.jsora.tensor.Autocast.of(m.precision, dev).enabled() ? DType.BF16 : DType.F32;
    List<BenchRecord> mm = MatmulBench.run(dev, List.of(d), new int[] {1024, 2048}, 1, 3);
    double p = MatmulBench.peakTflops(mm, d);
    out.printf(
        java.util.Locale.ROOT,
        "matmul peak %s: %.3f TFLOP/s (MFU divides by this)%n",
        d.safetensorsName(),
        p);
    out.flush();
    return p;
  }

  @Command(
      name = "model",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "The DiT alone on random latents: forward, and forward + backward with and without activation checkpointing.",
        "Sizes are pixels (as sample takes them); the compressor only shapes the latent. Reports tokens/s, TFLOP/s, MFU and peak memory."
      })
  static final class Model implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin ModelChoice choice;
    @CommandLine.Mixin VideoSize size;
    @CommandLine.Mixin ModelShape shape;
    @CommandLine.Mixin Common common;

    @Option(
        names = "--text-dim",
        defaultValue = "512",
        description = "Text embedding width (default: ${DEFAULT-VALUE}, CLIP ViT-B).")
    int textDim;

    @Option(
        names = "--grad-checkpoint",
        arity = "0..1",
        paramLabel = "BOOL",
        description =
            "Only with (true) or only without (false) activation checkpointing; default: both.")
    Boolean gradCheckpoint;

    @Option(
        names = "--sp-size",
        defaultValue = "1",
        description = {
          "Split each sample's tokens over this many processes: run under "
              + "jsora launch --nproc-per-node N (default: ${DEFAULT-VALUE})."
        })
    int spSize;

    @Option(
        names = "--sp-mode",
        defaultValue = "ULYSSES",
        description =
            "Sequence-parallel attention: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    io.jsora.parallel.SpMode spMode;

    @Option(
        names = "--profile",
        description = {
          "Instead of the timings: where a step's time goes, per module, op and backward block",
          "(self and total time, calls, bytes returned); with --json, the rows too. Times include the profiler's own cost."
        })
    boolean profile;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      if (profile) {
        ModelBench.Options o =
            new ModelBench.Options(
                choice.model,
                choice.arch,
                choice.compressor,
                size.frames,
                size.height,
                size.width,
                shape.batch,
                shape.textLen,
                textDim,
                gradCheckpoint,
                shape.precision,
                spSize,
                spMode,
                io.jsora.parallel.DistEnv.parse(System.getenv()));
        try (Device dev = Devices.resolve(common.device)) {
          List<BenchRecord> records =
              io.jsora.bench.ModelProfile.run(o, dev, common.warmup, common.runs);
          common.emit(records, out);
          profiles(records, out);
        }
        return 0;
      }
      ModelBench.Options o =
          new ModelBench.Options(
              choice.model,
              choice.arch,
              choice.compressor,
              size.frames,
              size.height,
              size.width,
              shape.batch,
              shape.textLen,
              textDim,
              gradCheckpoint,
              shape.precision,
              spSize,
              spMode,
              io.jsora.parallel.DistEnv.parse(System.getenv()));
      o.config(); // fail on a bad preset or size before measuring anything
      o.tokens();
      boolean main = "0".equals(System.getenv().getOrDefault("RANK", "0"));
      try (Device dev =
          io.jsora.train.TrainingRun.processDevice(
              common.device, io.jsora.parallel.DistEnv.parse(System.getenv()))) {
        List<BenchRecord> records =
            ModelBench.run(
                o,
                dev,
                common.warmup,
                common.runs,
                peak(shape, dev, main ? out : new PrintWriter(java.io.Writer.nullWriter())));
        if (main) {
          common.emit(records, out);
        } else {
          for (BenchRecord r : records) {
            out.printf(
                java.util.Locale.ROOT,
                "rank %s: %s peak memory %.0f MiB%n",
                System.getenv("RANK"),
                r.name(),
                r.peakMemBytes() / 1048576.0);
          }
          out.flush();
        }
      }
      return 0;
    }
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Whole training steps (data -> loss -> backward -> communication -> optimizer) on synthetic clips of the given size",
        "(or --dataset): steps/s, samples/s, tokens/s, MFU, peak memory and the time split between phases.",
        "Distributed: jsora launch --nproc-per-node N -- bench train --sp-size N ... (rank 0 prints)."
      })
  static final class Train implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin ModelChoice choice;
    @CommandLine.Mixin VideoSize size;
    @CommandLine.Mixin ModelShape shape;
    @CommandLine.Mixin Common common;
    @CommandLine.Mixin DistributedOptions dist;

    @Option(
        names = "--accumulation-steps",
        defaultValue = "1",
        description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int accumulation;

    @Option(names = "--grad-checkpoint", description = "Recompute block activations in backward.")
    boolean gradCheckpoint;

    @Option(
        names = "--workers",
        defaultValue = "2",
        description = "Batch-building threads (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
        names = "--compressor-dir",
        paramLabel = "DIR",
        description = "The learnt compressor's weights (vqvae, vae).")
    Path compressorDir;

    @Option(
        names = "--dataset",
        paramLabel = "DIR",
        description = "Train on this preprocessed dataset instead of synthetic clips.")
    Path dataset;

    @Option(
        names = "--profile",
        description = {
          "Also record where the timed steps' time goes, per module, op, backward block and",
          "phase (self and total time, calls, bytes returned); printed after the timings, and in --json."
        })
    boolean profile;

    @Option(
        names = "--fit-memory",
        paramLabel = "SIZE",
        description = {
          "Also estimate the longest sequence per rank that fits in SIZE "
              + "(e.g. 16g, 80g): two more steps at half the frames, and a line through the two peaks."
        })
    String fitMemory;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      boolean main = "0".equals(System.getenv().getOrDefault("RANK", "0"));
      // fail on a bad value before any work
      io.jsora.model.dit.DiTPresets.get(choice.model, choice.arch);
      io.jsora.model.vae.CompressorShape.of(choice.compressor)
          .latent(size.frames, size.height, size.width);
      double peak;
      try (Device dev = Devices.resolve(common.device)) {
        peak = peak(shape, dev, main ? out : new PrintWriter(java.io.Writer.nullWriter()));
      }
      TrainBench.Options o =
          new TrainBench.Options(
              choice.model,
              choice.arch,
              choice.compressor,
              compressorDir,
              size.frames,
              size.height,
              size.width,
              shape.batch,
              accumulation,
              shape.textLen,
              gradCheckpoint,
              shape.precision,
              dist.spSize,
              dist.zero,
              workers,
              dataset,
              common.device,
              io.jsora.parallel.DistEnv.parse(System.getenv()),
              Environment.hubCache());
      long limit = fitMemory == null ? 0 : io.jsora.bench.Memory.parseSize(fitMemory);
      if (limit > 0 && common.warmup + common.runs < 2) {
        throw new IllegalArgumentException(
            "--fit-memory needs at least 2 steps (--warmup + --runs): the optimizer state, made in the "
                + "first update, is part of the peak");
      }
      List<BenchRecord> records = TrainBench.run(o, common.warmup, common.runs, peak, profile);
      if (limit > 0) {
        records = List.of(TrainBench.fitMemory(o, records.get(0), limit));
      }
      if (main) {
        common.emit(records, out);
        phases(records, out);
        profiles(records, out);
      }
      BenchRecord r = records.get(0);
      int world = ((Number) r.config().get("world")).intValue();
      out.printf(
          java.util.Locale.ROOT,
          "rank %s of %d: peak memory %s, %.0f tokens/s on this rank%n",
          System.getenv().getOrDefault("RANK", "0"),
          world,
          r.peakMemBytes() == null
              ? "unknown"
              : String.format(java.util.Locale.ROOT, "%.0f MiB", r.peakMemBytes() / 1048576.0),
          r.tokensPerS() / world);
      if (main
          && r.extra().get("memory_fit") instanceof java.util.Map<?, ?> fit
          && fit.containsKey("max_tokens_per_rank")) {
        out.printf(
            java.util.Locale.ROOT,
            "memory fit: %.0f KiB per token held on a rank, %.0f MiB fixed; in %s per rank: %s tokens per rank, "
                + "a sequence of %s tokens per sample (%s frames at %dx%d)%n",
            ((Number) fit.get("bytes_per_token")).doubleValue() / 1024,
            ((Number) fit.get("fixed_bytes")).doubleValue() / 1048576.0,
            fitMemory,
            fit.get("max_tokens_per_rank"),
            fit.get("max_sequence_per_sample"),
            fit.get("max_frames"),
            size.height,
            size.width);
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "sample",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Text-to-video generation: seconds per video and per denoising step for a size, sampler, step count and guidance.",
        "Without --checkpoint, a fresh model of --model/--arch/--compressor is trained for one step on a synthetic clip first;",
        "with --checkpoint, those three are the checkpoint's."
      })
  static final class Sample implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(
        names = "--checkpoint",
        paramLabel = "DIR",
        description = "A training checkpoint (step-N directory or run directory).")
    Path checkpoint;

    @CommandLine.Mixin ModelChoice choice;
    @CommandLine.Mixin VideoSize size;

    @Option(
        names = "--videos",
        defaultValue = "1",
        description = "Prompts per generate call (default: ${DEFAULT-VALUE}).")
    int videos;

    @Option(
        names = "--steps",
        defaultValue = "25",
        description = "Sampler steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
        names = "--sampler",
        defaultValue = "ddim",
        description = "ddim or ddpm (default: ${DEFAULT-VALUE}).")
    Sampler.Method sampler;

    @Option(
        names = "--cfg-scale",
        defaultValue = "4",
        description = "Classifier-free guidance scale, 0 = off (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(
        names = "--os12",
        description = {
          "Open-Sora 1.2 instead: STDiT3-XL/2, the 1.2 VAE and T5 with seeded full-size weights, one generation;",
          "seconds and peak memory per stage (T5, denoise, decode), seconds per step. Takes --steps, --cfg-scale,",
          "--resolution, --aspect-ratio, --num-frames, --t5, --dtype, --t5-dtype."
        })
    boolean os12;

    @Option(
        names = "--resolution",
        defaultValue = "144p",
        description = "With --os12: 144p ... 720p (default: ${DEFAULT-VALUE}).")
    io.jsora.pipeline.Resolution resolution;

    @Option(
        names = "--aspect-ratio",
        defaultValue = "9:16",
        description = "With --os12: upstream's H:W name (default: ${DEFAULT-VALUE}).")
    io.jsora.pipeline.AspectRatio aspectRatio;

    @Option(
        names = "--num-frames",
        defaultValue = "2s",
        description = "With --os12: 2s (51 frames) ... or a count (default: ${DEFAULT-VALUE}).")
    io.jsora.pipeline.NumFrames numFrames;

    @Option(
        names = "--t5",
        defaultValue = "tiny",
        description =
            "With --os12: xxl (T5-XXL, 9.5 GB in bf16) or tiny (its width, one layer) (default: ${DEFAULT-VALUE}).")
    io.jsora.bench.Os12SampleBench.T5Size t5;

    @Option(
        names = "--dtype",
        defaultValue = "bf16",
        description =
            "With --os12: STDiT3 and VAE dtype, bf16 or fp32 (default: ${DEFAULT-VALUE}).")
    io.jsora.pipeline.StageDtype dtype;

    @Option(
        names = "--t5-dtype",
        defaultValue = "bf16",
        description = "With --os12: T5 dtype (default: ${DEFAULT-VALUE}).")
    io.jsora.pipeline.StageDtype t5Dtype;

    @Override
    public Integer call() throws Exception {
      if (os12) {
        common.emit(
            io.jsora.bench.Os12SampleBench.run(
                new io.jsora.bench.Os12SampleBench.Options(
                    resolution,
                    aspectRatio,
                    numFrames.frames(),
                    steps,
                    guidance,
                    t5,
                    dtype,
                    t5Dtype,
                    common.device)),
            spec.commandLine().getOut());
        return 0;
      }
      if (common.warmup < 1) {
        common.warmup = 1; // the first call pays one-time costs that are no part of sampling
      }
      SampleBench.Options o =
          new SampleBench.Options(
              checkpoint,
              choice.model,
              choice.arch,
              choice.compressor,
              size.frames,
              size.height,
              size.width,
              videos,
              steps,
              sampler,
              guidance,
              common.device);
      common.emit(SampleBench.run(o, common.warmup, common.runs), spec.commandLine().getOut());
      return 0;
    }
  }

  @Command(
      name = "data",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "The data path on synthetic MP4 clips: decode frames/s, and preprocessing (decode, compress, encode captions, write Arrow) videos/s and pairs/s.")
  static final class Data implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(
        names = "--videos",
        defaultValue = "16",
        description = "Clips to synthesise (default: ${DEFAULT-VALUE}).")
    int videos;

    @Option(
        names = "--frames",
        defaultValue = "16",
        description = "Frames per clip (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(
        names = "--size",
        defaultValue = "128",
        description = "Clip height and width in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(
        names = "--compressor",
        defaultValue = "raw",
        description =
            "raw, vqvae or vae: the latents preprocessing caches (default: ${DEFAULT-VALUE}).")
    CompressorKind compressor;

    @Option(
        names = "--compressor-dir",
        paramLabel = "DIR",
        description = "The learnt compressor's weights (vqvae, vae).")
    Path compressorDir;

    @Override
    public Integer call() throws Exception {
      if (videos < 1 || frames < 1 || size < 8) {
        throw new IllegalArgumentException("--videos and --frames must be >= 1 and --size >= 8");
      }
      DataBench.Options o =
          new DataBench.Options(
              videos,
              frames,
              size,
              compressor,
              compressorDir,
              common.device,
              Environment.hubCache());
      List<BenchRecord> records = DataBench.run(o, common.warmup, common.runs);
      PrintWriter out = spec.commandLine().getOut();
      common.emit(records, out);
      for (BenchRecord r : records) {
        StringBuilder b = new StringBuilder(r.name() + ":");
        for (java.util.Map.Entry<String, Object> e : r.extra().entrySet()) {
          b.append(
              String.format(
                  java.util.Locale.ROOT,
                  " %.1f %s",
                  ((Number) e.getValue()).doubleValue(),
                  e.getKey().replace("_per_s", "/s")));
        }
        out.println(b);
      }
      out.flush();
      return 0;
    }
  }

  /** Prints the phase split of {@code train_step} records. */
  static void phases(List<BenchRecord> records, PrintWriter out) {
    for (BenchRecord r : records) {
      if (r.extra() == null
          || !(r.extra().get("phase_median_s") instanceof java.util.Map<?, ?> split)) {
        continue;
      }
      StringBuilder b = new StringBuilder(r.name() + " phases (median s):");
      for (java.util.Map.Entry<?, ?> e : split.entrySet()) {
        double v = ((Number) e.getValue()).doubleValue();
        b.append(
            String.format(
                java.util.Locale.ROOT,
                " %s %s (%.0f%%)",
                e.getKey().toString().replace("_s", ""),
                Report.seconds(v),
                100 * v / r.medianS()));
      }
      out.println(b);
      out.printf(
          java.util.Locale.ROOT,
          "%s: %.3f steps/s, %.2f samples/s%n",
          r.name(),
          ((Number) r.extra().get("steps_per_s")).doubleValue(),
          ((Number) r.extra().get("samples_per_s")).doubleValue());
    }
    out.flush();
  }

  @Command(
      name = "jni",
      mixinStandardHelpOptions = true,
      description =
          "Fixed cost per tensor op called from Java (1-element tensors): JNI crossing, dispatch and handle allocation.")
  static final class Jni implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Override
    public Integer call() throws Exception {
      common.emit(JniBench.run(common.warmup, common.runs), spec.commandLine().getOut());
      return 0;
    }
  }

  /** Prints the profile table of every record that has one. */
  static void profiles(List<BenchRecord> records, PrintWriter out) {
    for (BenchRecord r : records) {
      if (r.extra() != null && r.extra().get("profile") instanceof io.jsora.bench.ProfileTable t) {
        t.print(r.name(), out);
      }
    }
  }
}
