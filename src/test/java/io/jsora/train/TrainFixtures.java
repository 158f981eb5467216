package io.jsora.train;

import io.jsora.data.CaptionsFile;
import io.jsora.data.LatentSpec;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;

/** Small preprocessed moving-shape datasets for training tests, made with the real pipeline. */
public final class TrainFixtures {
  private TrainFixtures() {}

  /**
   * Synthesises {@code count} clips (16×16, {@code frames} frames, fixed starts) and preprocesses
   * them with the built-in text encoder and cached raw latents into {@code dir/dataset}.
   */
  public static Path dataset(Path dir, int count, int frames, long seed) throws IOException {
    SynthConfig c = SynthConfig.defaults(count).withFrames(frames).withSeed(seed);
    Path data = dir.resolve("data");
    Synth.generate(c, data, Progress.NONE);
    Path out = dir.resolve("dataset");
    List<String> captions = new ArrayList<>();
    for (CaptionsFile.Entry e : CaptionsFile.read(data.resolve("captions.json")).entries()) {
      captions.addAll(e.captions());
    }
    try (Device dev = Devices.cpu();
        TextEncoder text =
            TextEncoders.loadForDataset(TextEncoders.BUILTIN, out, captions, seed, dev);
        VideoCompressor raw = Compressors.load("raw", null, dev)) {
      new Preprocessor(
              PreprocessConfig.of(data.resolve("captions.json"), data.resolve("videos"), out),
              text,
              LatentSpec.floats(raw, LatentSpec.Kind.FLOAT16),
              dev)
          .run(Progress.NONE);
    }
    return out;
  }

  /**
   * A tiny, fast training setup: DiT-T/4 self-cross with mean text in c, x0-prediction, cosine
   * noise.
   */
  public static TrainConfig config(Path dataset, Path run, long maxSteps, int batch) {
    return TrainConfig.defaults().toBuilder()
        .model("DiT-T/4")
        .arch(io.jsora.model.dit.Arch.SELF_CROSS)
        .textToC(true)
        .dataset(List.of(dataset.toString()))
        .maxSteps(maxSteps)
        .batchSize(batch)
        .lr(2e-3)
        .warmupSteps(2)
        .emaDecay(0.9)
        .gradClip(1.0)
        .noiseSchedule(io.jsora.diffusion.BetaSchedule.COSINE)
        .prediction(io.jsora.diffusion.Prediction.X0)
        .saveInterval(0)
        .keepLast(2)
        .checkpointDir(run.toString())
        .seed(7)
        .device(io.jsora.tensor.DeviceSpec.CPU)
        .workers(1)
        .build();
  }
}
