package io.jsora.cli;

import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowSampler;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.StepNoise;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code jsora model forward stdit3-sample}: one rectified-flow sampling run of an STDiT3 with
 * classifier-free guidance, as Open-Sora 1.2's {@code RFLOW.sample} runs it (timestep transform on,
 * sizes in bf16 as upstream's inference passes them). Inputs: the initial noise {@code z [B, C, T,
 * H, W]}, {@code y [B, 1, L, D]}, {@code mask [B, L]}, {@code fps}, {@code height}, {@code width},
 * {@code num_frames} {@code [B]} (pixels and pixel frames, for the transform); the null text is the
 * checkpoint's {@code y_embedder.y_embedding}. Optional {@code frame_mask [B, T]} of edit ratios (0
 * = keep the latent {@code z} holds there, 1 = generate) switches on mask-aware sampling, whose
 * re-noising draws come from {@code step_noise [N, B, C, T, H, W]} (replaying a run) or else from a
 * CPU generator seeded {@code --seed}. Output {@code out [B, C, T, H, W]}.
 */
final class Stdit3Sample implements ModelForwardKind {
  private static final List<String> REQUIRED =
      List.of("z", "y", "mask", "fps", "height", "width", "num_frames");
  private static final Set<String> INPUTS =
      Set.of("z", "y", "mask", "fps", "height", "width", "num_frames", "frame_mask", "step_noise");

  @Override
  public String kind() {
    return "stdit3-sample";
  }

  @Override
  public String summary() {
    return "STDiT3 + rectified flow, guided: z, y, mask, fps/height/width/num_frames [B], optional frame_mask [B,T], step_noise -> out";
  }

  @Override
  public Map<String, Tensor> forward(
      Path config, String preset, String arch, Path weights, StateDict inputs, Device device)
      throws IOException {
    return forward(config, preset, arch, weights, inputs, device, Sampling.NONE);
  }

  @Override
  public Map<String, Tensor> forward(
      Path config,
      String preset,
      String arch,
      Path weights,
      StateDict inputs,
      Device device,
      Sampling sampling)
      throws IOException {
    for (String name : inputs.names()) {
      if (!INPUTS.contains(name)) {
        throw new IllegalArgumentException(
            "unexpected input '"
                + name
                + "'; stdit3-sample takes "
                + REQUIRED
                + " and optional frame_mask, step_noise");
      }
    }
    for (String name : REQUIRED) {
      if (inputs.get(name) == null) {
        throw new IllegalArgumentException(
            "missing input '" + name + "'; found " + inputs.names() + ", expected " + REQUIRED);
      }
    }
    if (arch != null) {
      throw new IllegalArgumentException("--arch applies to dit only; stdit3 has one architecture");
    }
    RFlowConfig rf = RFlowConfig.inference12();
    if (sampling.steps() != null) {
      rf = rf.withNumSamplingSteps(sampling.steps());
    }
    if (sampling.cfgScale() != null) {
      rf = rf.withCfgScale(sampling.cfgScale());
    }
    STDiT3Config cfg = Stdit3Forward.config(config, preset);
    Tensor z = inputs.get("z").to(device, ScalarType.Float);
    long[] zs = Shapes.of(z);
    if (zs.length != 5) {
      throw new IllegalArgumentException(
          "input z: expected [B, C, T, H, W], found " + Shapes.format(zs));
    }
    int b = (int) zs[0];
    double[] h = column(inputs, "height", b);
    double[] w = column(inputs, "width", b);
    double[] n = column(inputs, "num_frames", b);
    List<VideoSize> sizes = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      sizes.add(
          new VideoSize((int) Math.round(h[i]), (int) Math.round(w[i]), (int) Math.round(n[i])));
    }
    RFlowSampler sampler = RFlowSampler.of(rf, sizes, SizePrecision.BFLOAT16);
    try (STDiT3 model = new STDiT3(cfg)) {
      model.to(device, false);
      try (Weights.Loaded wts = Weights.read(weights)) {
        StrictLoader.load(model, wts.tensors(), weights.toString());
      }
      model.eval();
      try (NoGradGuard g = new NoGradGuard();
          Generator gen =
              torch.createCPUGenerator(sampling.seed() == null ? 42 : sampling.seed())) {
        // the doubled batch: the B real captions, then B null captions (the checkpoint's own)
        Tensor y = inputs.get("y").to(device, ScalarType.Float); // (B, 1, L, D)
        long[] ys = Shapes.of(y);
        Tensor nul =
            model
                .nullCaption()
                .to(device, ScalarType.Float)
                .expand(new long[] {b, 1, ys[2], ys[3]}); // (B, 1, L, D)
        Tensor y2 = torch.cat(new TensorVector(y, nul), 0); // (2B, 1, L, D)
        Tensor mask =
            inputs
                .get("mask")
                .to(device, ScalarType.Long); // (B, L): tiled by the model for the null half
        Tensor fps2 = doubled(inputs, "fps", device);
        Tensor h2 = doubled(inputs, "height", device);
        Tensor w2 = doubled(inputs, "width", device);
        FlowModel flow = (x, t, xMask) -> model.forward(x, t, y2, mask, xMask, fps2, h2, w2);
        Tensor frameMask = inputs.get("frame_mask");
        Tensor stepNoise = inputs.get("step_noise");
        if (stepNoise != null && frameMask == null) {
          throw new IllegalArgumentException(
              "input step_noise is drawn only by mask-aware sampling: give frame_mask too");
        }
        NoiseSource noise =
            stepNoise != null
                ? StepNoise.replay(stepNoise.to(device, ScalarType.Float))
                : NoiseSource.fromGenerator(gen, device);
        try (Tensor out =
            sampler.sample(
                flow,
                z,
                frameMask == null ? null : frameMask.to(device, ScalarType.Float),
                noise,
                (done, total, t) -> {})) {
          Map<String, Tensor> result = new LinkedHashMap<>();
          result.put("out", out.cpu().contiguous());
          return result;
        }
      }
    }
  }

  /** Input {@code name} as {@code [B]} doubles. */
  private static double[] column(StateDict inputs, String name, int b) {
    Tensor t = inputs.get(name);
    if (t.numel() != b) {
      throw new IllegalArgumentException(
          "input "
              + name
              + ": expected ["
              + b
              + "] (one per sample of z), found "
              + Shapes.format(Shapes.of(t)));
    }
    return Tensors.toDoubles(t.to(ScalarType.Double).contiguous());
  }

  /** Input {@code name} [B] repeated for the doubled batch [2B], float32 on {@code device}. */
  private static Tensor doubled(StateDict inputs, String name, Device device) {
    Tensor t = inputs.get(name).to(device, ScalarType.Float);
    return torch.cat(new TensorVector(t, t), 0);
  }
}
