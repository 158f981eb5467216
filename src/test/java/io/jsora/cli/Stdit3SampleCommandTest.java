package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.Weights;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowSchedule;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora model forward stdit3-sample} on the tiny golden STDiT3, checked against the plain
 * {@code stdit3} forward (one unguided Euler step is {@code z + v(z, t0)·t0/1000}) and against the
 * frame-mask rule (edit ratio 0 keeps the reference latent exactly; replayed noise replays).
 */
class Stdit3SampleCommandTest {
  @TempDir Path dir;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private Map<String, Tensor> run(String kind, Map<String, Tensor> in, String... extra)
      throws Exception {
    Path inputs = dir.resolve(kind + "-in.safetensors");
    Path out = dir.resolve(kind + "-out.safetensors");
    SafetensorsWriter.write(inputs, in, Map.of());
    String[] base = {
      "model",
      "forward",
      kind,
      "--config",
      Stdit3CommandTest.golden("tiny_config.json").toString(),
      "--weights",
      Stdit3CommandTest.golden("tiny_weights.safetensors").toString(),
      "--inputs",
      inputs.toString(),
      "--output",
      out.toString()
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    Cli r = Cli.run(args);
    assertEquals(0, r.code(), r.err());
    Map<String, Tensor> result = new LinkedHashMap<>();
    try (Weights.Loaded o = Weights.read(out)) {
      for (String n : o.tensors().names()) {
        result.put(n, o.tensors().get(n).clone());
      }
    }
    return result;
  }

  private static Map<String, Tensor> sampleInputs(Weights.Loaded io) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("z", io.tensors().get("x"));
    for (String k : new String[] {"y", "mask", "fps", "height", "width"}) {
      in.put(k, io.tensors().get(k));
    }
    in.put("num_frames", Tensors.of(new float[] {51, 51}, 2));
    return in;
  }

  @Test
  void oneUnguidedStepIsZPlusTheModelsVelocityTimesDt() throws Exception {
    try (PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(Stdit3CommandTest.golden("tiny_io.safetensors"))) {
      Map<String, Tensor> in = sampleInputs(io);
      Tensor sampled = run("stdit3-sample", in, "--steps", "1", "--cfg-scale", "1").get("out");
      // the one timestep, after upstream's size/length transform (sizes in bf16, as its inference
      // passes them)
      List<VideoSize> sizes = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        sizes.add(
            new VideoSize(
                (int) in.get("height").select(0, i).item_double(),
                (int) in.get("width").select(0, i).item_double(),
                51));
      }
      RFlowSchedule schedule =
          RFlowSchedule.forSampling(
              RFlowConfig.inference12().withNumSamplingSteps(1), sizes, SizePrecision.BFLOAT16);
      double t0 = schedule.timesteps(0)[0];
      assertEquals(t0, schedule.timesteps(0)[1]);
      assertEquals(t0 / 1000, schedule.dt(0)[0], 1e-6, "the last step goes all the way to t = 0");
      Map<String, Tensor> fwd = new LinkedHashMap<>();
      fwd.put("x", in.get("z"));
      fwd.put("timestep", Tensors.of(new float[] {(float) t0, (float) t0}, 2));
      for (String k : new String[] {"y", "mask", "fps", "height", "width"}) {
        fwd.put(k, in.get(k));
      }
      Tensor v = run("stdit3", fwd).get("out").narrow(1, 0, 4); // the velocity channels
      Tensor want =
          in.get("z").add(v.mul(new org.bytedeco.pytorch.Scalar(t0 / 1000))); // dt = t0 / 1000
      double err = want.sub(sampled).abs().max().item_double();
      assertTrue(err <= 1e-5 * want.abs().max().item_double(), "max |diff| " + err);
    }
  }

  @Test
  void editRatioZeroKeepsTheReferenceLatentAndReplayedNoiseReplays() throws Exception {
    try (PointerScope s = new PointerScope();
        Weights.Loaded io = Weights.read(Stdit3CommandTest.golden("tiny_io.safetensors"));
        Generator g = torch.createCPUGenerator(5)) {
      Map<String, Tensor> in = sampleInputs(io);
      in.put("frame_mask", Tensors.of(new float[] {0, 0.5f, 1, 1, 1, 0}, 2, 3));
      Tensor noiseA =
          torch.randn(new long[] {3, 2, 4, 3, 5, 7}, new GeneratorOptional(g), new TensorOptions());
      Tensor noiseB =
          torch.randn(new long[] {3, 2, 4, 3, 5, 7}, new GeneratorOptional(g), new TensorOptions());
      in.put("step_noise", noiseA);
      Tensor a = run("stdit3-sample", in, "--steps", "3").get("out");
      Tensor again = run("stdit3-sample", in, "--steps", "3").get("out");
      in.put("step_noise", noiseB);
      Tensor b = run("stdit3-sample", in, "--steps", "3").get("out");
      Tensor z = in.get("z");
      assertTrue(
          a.select(0, 0).select(1, 0).equal(z.select(0, 0).select(1, 0)),
          "sample 0, frame 0 (ratio 0) is z's, bit for bit");
      assertTrue(
          a.select(0, 1).select(1, 2).equal(z.select(0, 1).select(1, 2)),
          "sample 1, frame 2 (ratio 0) is z's, bit for bit");
      assertTrue(a.equal(again), "the same step noise gives the same run");
      assertTrue(
          a.select(0, 0).select(1, 1).sub(b.select(0, 0).select(1, 1)).abs().max().item_double()
              > 1e-3,
          "the re-noised frame (ratio 0.5) follows the replayed noise");
      assertTrue(
          a.select(0, 0).select(1, 2).sub(z.select(0, 0).select(1, 2)).abs().max().item_double()
              > 1e-2,
          "frame 2 was generated");
    }
  }
}
