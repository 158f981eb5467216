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
import io.jsora.tensor.Devices;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        TextEncoder text = TextEncoders.loadForDataset(TextEncoders.BUILTIN, out, captions, seed, dev);
        VideoCompressor raw = Compressors.load("raw", null, dev)) {
      new Preprocessor(PreprocessConfig.of(data.resolve("captions.json"), data.resolve("videos"), out), text,
          LatentSpec.floats(raw, LatentSpec.Kind.FLOAT16), dev).run(Progress.NONE);
    }
    return out;
  }

  /** A tiny, fast training setup: DiT-T/4 self-cross with mean text in c, x0-prediction, cosine noise. */
  public static TrainConfig config(Path dataset, Path run, long maxSteps, int batch) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", "DiT-T/4");
    m.put("arch", "self-cross");
    m.put("text_to_c", true);
    m.put("dataset", List.of(dataset.toString()));
    m.put("max_steps", maxSteps);
    m.put("batch_size", batch);
    m.put("lr", 2e-3);
    m.put("warmup_steps", 2);
    m.put("ema_decay", 0.9);
    m.put("grad_clip", 1.0);
    m.put("noise_schedule", "cosine");
    m.put("prediction", "x0");
    m.put("save_interval", 0);
    m.put("keep_last", 2);
    m.put("checkpoint_dir", run.toString());
    m.put("seed", 7);
    m.put("device", "cpu");
    m.put("workers", 1);
    return TrainConfig.defaults().with(m);
  }
}
