package io.jsora.cli;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jsora model forward|info}: run one forward pass from files, or describe a model. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description =
        "Run one forward pass of a model from files (to compare with other frameworks), or print a model's size and cost.",
    subcommands = {ModelCommand.Forward.class, ModelCommand.Info.class})
public final class ModelCommand implements Runnable {
  /** Every model kind {@code model forward} can run. */
  static final List<ModelForwardKind> FORWARD_KINDS =
      List.of(
          new DitForward(),
          new Stdit3Forward(),
          new Stdit3Sample(),
          new ClipTextForward(),
          new T5Forward(),
          new CompressorForwardKinds.VqVaeEncode(),
          new CompressorForwardKinds.VqVaeDecode(),
          new CompressorForwardKinds.VaeEncode(),
          new CompressorForwardKinds.VaeDecode(),
          new OsVaeForwardKinds.Encode(),
          new OsVaeForwardKinds.Decode());

  /** Every model family {@code model info} can describe. */
  static final List<ModelInfoKind> INFO_KINDS =
      List.of(new DitInfo(), new Stdit3Info(), new ClipInfo(), new CompressorInfo());

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(
      name = "forward",
      mixinStandardHelpOptions = true,
      description =
          "Run one forward pass (eval mode, no dropout): read named input tensors from a safetensors file, write named outputs.")
  static final class Forward implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "KIND",
        completionCandidates = KindNames.class,
        description = "Which model to run: ${COMPLETION-CANDIDATES}.")
    String kind;

    @Option(
        names = "--config",
        paramLabel = "CONFIG.json",
        description = "The model's config JSON.")
    Path config;

    @Option(
        names = "--model",
        paramLabel = "PRESET",
        description = "A preset instead of --config, e.g. DiT-S/8.")
    String preset;

    @Option(
        names = "--arch",
        description =
            "Architecture for a preset (DiT: adaln, cross-attn, token-concat, self-cross).")
    String arch;

    @Option(
        names = "--weights",
        required = true,
        paramLabel = "W",
        description = "Weights (.safetensors or torch.save).")
    Path weights;

    @Option(
        names = "--inputs",
        required = true,
        paramLabel = "IN.safetensors",
        description = "Named input tensors.")
    Path inputs;

    @Option(
        names = "--output",
        required = true,
        paramLabel = "OUT.safetensors",
        description = "Where to write the named outputs.")
    Path output;

    @Option(
        names = "--device",
        defaultValue = "cpu",
        description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
    io.jsora.tensor.DeviceSpec device;

    @Option(
        names = "--steps",
        description = "stdit3-sample: rectified-flow steps (default 30, Open-Sora 1.2's).")
    Integer steps;

    @Option(
        names = "--cfg-scale",
        description = "stdit3-sample: classifier-free guidance scale (default 7.0).")
    Double cfgScale;

    @Option(
        names = "--seed",
        description =
            "stdit3-sample with frame_mask and no step_noise: seed of the re-noising draws (default 42).")
    Long seed;

    @Override
    public Integer call() throws Exception {
      ModelForwardKind k =
          FORWARD_KINDS.stream()
              .filter(x -> x.kind().equals(kind))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown KIND '"
                              + kind
                              + "'; expected one of: "
                              + FORWARD_KINDS.stream()
                                  .map(ModelForwardKind::kind)
                                  .collect(Collectors.joining(", "))));
      if (config == null && preset == null) {
        throw new IllegalArgumentException("give --config CONFIG.json or --model PRESET");
      }
      Natives.load();
      try (Device dev = Devices.resolve(device);
          Weights.Loaded in = Weights.read(inputs);
          PointerScope scope = new PointerScope()) {
        Map<String, Tensor> out =
            k.forward(
                config,
                preset,
                arch,
                weights,
                in.tensors(),
                dev,
                new ModelForwardKind.Sampling(steps, cfgScale, seed));
        SafetensorsWriter.write(output, out, Map.of("kind", kind));
        PrintWriter o = spec.commandLine().getOut();
        for (Map.Entry<String, Tensor> e : out.entrySet()) {
          o.printf(
              Locale.ROOT,
              "%s %s%n",
              e.getKey(),
              io.jsora.tensor.Shapes.format(io.jsora.tensor.Shapes.of(e.getValue())));
        }
        o.printf(Locale.ROOT, "wrote %s%n", output);
        o.flush();
      }
      return 0;
    }
  }

  /** Names for --help. */
  static final class KindNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return FORWARD_KINDS.stream().map(ModelForwardKind::kind).iterator();
    }
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description =
          "Print a model's parameter count, token count and forward cost (GFLOPs as multiply-adds) for a video size.")
  static final class Info implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--model",
        required = true,
        description =
            "A DiT preset (DiT-XL/2, DiT-S/8, DiT-T/4...) or a model kind (clip-text, vqvae, vae, raw).")
    String model;

    @Option(
        names = "--arch",
        defaultValue = "adaln",
        description =
            "DiT architecture: adaln, cross-attn, token-concat, self-cross (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(
        names = "--config",
        description = "A config JSON or model directory instead of a preset.")
    Path config;

    @Option(
        names = "--compressor",
        description = "raw, vqvae or vae: sizes are then in pixels; without it, in latent units.")
    String compressor;

    @Option(names = "--frames", defaultValue = "16", description = "T (default: ${DEFAULT-VALUE}).")
    long frames;

    @Option(names = "--height", defaultValue = "64", description = "H (default: ${DEFAULT-VALUE}).")
    long height;

    @Option(names = "--width", defaultValue = "64", description = "W (default: ${DEFAULT-VALUE}).")
    long width;

    @Option(
        names = "--text-len",
        defaultValue = "77",
        description = "Text tokens for cross-attention/token-concat (default: ${DEFAULT-VALUE}).")
    long textLen;

    @Override
    public Integer call() throws Exception {
      ModelInfoKind k =
          INFO_KINDS.stream()
              .filter(x -> x.accepts(model))
              .findFirst()
              .orElseThrow(() -> new IllegalArgumentException("unknown model '" + model + "'"));
      PrintWriter out = spec.commandLine().getOut();
      k.print(this, out);
      out.flush();
      return 0;
    }
  }
}
