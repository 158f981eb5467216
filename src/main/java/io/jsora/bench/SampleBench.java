package io.jsora.bench;

import io.jsora.diffusion.Sampler;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTCost;
import io.jsora.model.vae.CompressorKind;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Text-to-video generation through {@link TextToVideoPipeline}: text encoding, the sampler's
 * denoising steps (a doubled batch under classifier-free guidance) and decoding. Without a
 * checkpoint, one is made by training a freshly initialised model for one step on synthetic clips
 * of the requested size (what the weights are does not change the time).
 */
public final class SampleBench {
  private SampleBench() {}

  /**
   * What to generate.
   *
   * @param checkpoint a checkpoint to sample from, or null to make one from {@code model}, {@code
   *     arch}, {@code compressor}
   * @param model DiT preset (without a checkpoint)
   * @param arch conditioning architecture (without a checkpoint)
   * @param compressor raw, vqvae or vae (without a checkpoint)
   * @param frames video frames
   * @param height video height in pixels
   * @param width video width in pixels
   * @param videos prompts per generate call
   * @param steps sampler steps
   * @param sampler ddim or ddpm
   * @param guidance classifier-free guidance scale (0 = off)
   * @param device cpu, cuda, cuda:N or auto
   */
  public record Options(
      Path checkpoint,
      String model,
      Arch arch,
      CompressorKind compressor,
      int frames,
      int height,
      int width,
      int videos,
      int steps,
      Sampler.Method sampler,
      double guidance,
      DeviceSpec device) {}

  public static List<BenchRecord> run(Options o, int warmup, int runs) throws Exception {
    Natives.load();
    GenerationRequest req = request(o); // checks the settings before any work
    Path work = Files.createTempDirectory("jsora-bench-sample");
    try {
      Path ckpt = o.checkpoint() != null ? o.checkpoint() : makeCheckpoint(o, work);
      return measure(o, req, ckpt, warmup, runs);
    } finally {
      io.jsora.checkpoint.AtomicFiles.deleteTree(work);
    }
  }

  private static Path makeCheckpoint(Options o, Path work) throws Exception {
    BenchData.Prepared p;
    try (org.bytedeco.pytorch.Device dev = Devices.resolve(o.device())) {
      p =
          BenchData.prepare(
              work,
              1,
              o.frames(),
              o.height(),
              o.width(),
              o.compressor(),
              null,
              0,
              dev,
              io.jsora.checkpoint.HubCache.NONE);
    }
    TrainConfig cfg =
        TrainConfig.defaults().toBuilder()
            .model(o.model())
            .arch(o.arch())
            .compressor(o.compressor())
            .dataset(List.of(p.dataset().toString()))
            .maxSteps(1)
            .batchSize(1)
            .device(o.device())
            .checkpointDir(work.resolve("run").toString())
            .resume(ResumeSpec.NONE)
            .logInterval(1_000_000)
            .build();
    try (Trainer t = new Trainer(cfg)) {
      return t.run().lastCheckpoint();
    }
  }

  /** The request each timed call makes: {@code videos} prompts of the synthetic data's kind. */
  private static GenerationRequest request(Options o) {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < o.videos(); i++) {
      prompts.add(i % 2 == 0 ? "a red circle moving left" : "a blue square moving up");
    }
    return new GenerationRequest(
        prompts, o.frames(), o.height(), o.width(), o.steps(), o.sampler(), 0, o.guidance(), 0);
  }

  private static List<BenchRecord> measure(
      Options o, GenerationRequest req, Path ckpt, int warmup, int runs) throws Exception {
    List<Double> stepSeconds = new ArrayList<>(); // filled on the calling thread
    long[] last = new long[1];
    Timing t;
    DiTConfig mc;
    String deviceName;
    long[] latent;
    try (TextToVideoPipeline pipe =
        TextToVideoPipeline.load(ckpt, true, Devices.resolve(o.device()))) {
      mc = pipe.modelConfig();
      latent = pipe.compressor().latentShape(o.frames(), o.height(), o.width());
      deviceName = o.device().toString();
      t =
          Stopwatch.time(
              warmup,
              runs,
              1,
              () -> {
                last[0] = System.nanoTime();
                try (Tensor v =
                    pipe.generate(
                        req,
                        (done, total, ts) -> {
                          long now = System.nanoTime();
                          stepSeconds.add(
                              (now - last[0])
                                  / 1e9); // the first step of a call includes encoding the prompts
                          last[0] = now;
                        })) {
                  // the video itself is not needed
                }
              });
    }
    // keep only the timed runs' steps
    int timedSteps = runs * o.steps();
    List<Double> timed =
        stepSeconds.subList(Math.max(0, stepSeconds.size() - timedSteps), stepSeconds.size());
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put(
        "checkpoint",
        o.checkpoint() == null ? "fresh " + o.model() + " " + o.arch() : o.checkpoint().toString());
    cfg.put(
        "model",
        mc.modelArch()
            + " depth "
            + mc.depth()
            + " hidden "
            + mc.hiddenSize()
            + " patch "
            + mc.patchSize());
    cfg.put("frames", o.frames());
    cfg.put("height", o.height());
    cfg.put("width", o.width());
    cfg.put("videos", o.videos());
    cfg.put("steps", o.steps());
    cfg.put("sampler", o.sampler());
    cfg.put("guidance", o.guidance());
    cfg.put("device", deviceName);
    cfg.put("threads", Natives.threads());
    int passes = o.guidance() > 0 ? 2 : 1; // guidance runs the model on a doubled batch
    List<BenchRecord> out = new ArrayList<>();
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("seconds_per_call", t.median());
    out.add(BenchRecord.of("sample_per_video", cfg, t.per(o.videos())).withExtra(extra));
    if (!timed.isEmpty()) {
      Timing step = Timing.of(timed);
      out.add(
          BenchRecord.of("sample_per_step", cfg, step)
              .withTokensPerS(
                  o.videos()
                      * passes
                      * DiTCost.videoTokens(mc, latent[1], latent[2], latent[3])
                      / step.median()));
    }
    return out;
  }
}
