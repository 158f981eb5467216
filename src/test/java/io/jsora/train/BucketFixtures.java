package io.jsora.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.data.CaptionsFile;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;

/**
 * A dataset of videos at two sizes and lengths, preprocessed without cached latents, for bucketed
 * training: 4 clips of 192×192 × 7 frames under {@code small/} and 8 of 288×288 × 3 frames under
 * {@code large/}. With {@link #BUCKETS}, a small clip lands in (144p, 4 frames, 192×192); a large
 * one in (240p, 2, 320×320) with probability 0.5 (enlarged), else in (144p, 2, 192×192) (reduced).
 * A small clip's 4-frame window starts at frame 0, 1 or 2 (seeded), so resume must replay it.
 */
public final class BucketFixtures {
  private BucketFixtures() {}

  /** Three buckets of batch size 2, in the reference's Python spelling. */
  public static final String BUCKETS =
      "{'240p': {2: (0.5, 2)}, '144p': {4: (1.0, 2), 2: (1.0, 2)}}";

  /** Model patch: the buckets' 192 and 320 are multiples of it. */
  public static final int PATCH = 16;

  /** The two clip sets, preprocessed into {@code dir/dataset}; returns that directory. */
  public static Path dataset(Path dir) throws IOException {
    Path data = dir.resolve("videos");
    Synth.generate(
        SynthConfig.defaults(4).withFrames(7).withSize(192).withSeed(1),
        data.resolve("small"),
        Progress.NONE);
    Synth.generate(
        SynthConfig.defaults(8).withFrames(3).withSize(288).withSeed(2),
        data.resolve("large"),
        Progress.NONE);
    List<Map<String, Object>> merged = new ArrayList<>();
    List<String> captions = new ArrayList<>();
    for (String set : new String[] {"small", "large"}) {
      for (CaptionsFile.Entry e :
          CaptionsFile.read(data.resolve(set).resolve("captions.json")).entries()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", set + "/videos/" + e.file());
        m.put("captions", e.captions());
        merged.add(m);
        captions.addAll(e.captions());
      }
    }
    Path captionsFile = data.resolve("captions.json");
    Files.writeString(captionsFile, new ObjectMapper().writeValueAsString(merged));
    Path out = dir.resolve("dataset");
    try (Device dev = Devices.cpu();
        TextEncoder text =
            TextEncoders.loadForDataset(TextEncoders.BUILTIN, out, captions, 5, dev)) {
      new Preprocessor(PreprocessConfig.of(captionsFile, data, out), text, null, dev)
          .run(Progress.NONE);
    }
    return out;
  }

  /** A one-block DiT with {@link #PATCH}-pixel patches, as a model config file in {@code dir}. */
  public static Path modelConfig(Path dir) throws IOException {
    Path f = dir.resolve("tiny-dit.json");
    Files.writeString(
        f, "{\"patch_size\": 16, \"hidden_size\": 32, \"depth\": 1, \"num_heads\": 2}");
    return f;
  }

  /** Bucketed training of the tiny DiT on raw pixels, constant rate after warm-up, seed 7. */
  public static TrainConfig config(Path dataset, Path model, Path run, long steps) {
    return TrainFixtures.config(dataset, run, steps, 1).toBuilder()
        .model(null)
        .modelConfig(model.toString())
        .lrSchedule(TrainConfig.LrScheduleKind.CONSTANT)
        .bucketConfig(BucketConfig.parse(BUCKETS, "test"))
        .build();
  }
}
