package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.data.ArrowVideoDataset;
import io.jsora.data.CaptionsFile;
import io.jsora.data.HfDataset;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora launch --nproc-per-node 2 -- preprocess ...}: each rank encodes its shards (shard s
 * goes to rank s mod 2), the last to finish writes the metadata, and the dataset is the one a
 * single process writes, shard for shard, byte for byte.
 */
class LaunchPreprocessTest {
  @Test
  @Timeout(120)
  void twoRanksWriteTheDatasetOneProcessWrites(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("shapes");
    Synth.generate(SynthConfig.defaults(8).withFrames(4).withSeed(4), data, Progress.NONE);
    Path captions = data.resolve("captions.json");
    Path videos = data.resolve("videos");

    // one process, the same settings and the same factories as the command (built-in encoder, raw
    // latents in float16)
    Path single = dir.resolve("single");
    List<String> all = new ArrayList<>();
    for (CaptionsFile.Entry e : CaptionsFile.read(captions).entries()) {
      all.addAll(e.captions());
    }
    try (Device cpu = new Device("cpu");
        TextEncoder text = TextEncoders.loadForDataset(TextEncoders.BUILTIN, single, all, 0, cpu);
        VideoCompressor raw = Compressors.load("raw", null, cpu)) {
      new Preprocessor(
              new PreprocessConfig(
                  captions, videos, single, false, 600, 2, false, false, 64, 16, 2, 0, 1),
              text,
              LatentSpec.floats(raw, LatentSpec.Kind.FLOAT16),
              cpu)
          .run(Progress.NONE);
    }

    Path launched = dir.resolve("launched");
    Cli r =
        Cli.run(
            "launch",
            "--nproc-per-node",
            "2",
            "--",
            "preprocess",
            "-c",
            captions.toString(),
            "-v",
            videos.toString(),
            "-o",
            launched.toString(),
            "--cache-latents",
            "--num-shards",
            "2",
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(
        r.out().contains("[rank 0] videos: 8 listed")
            && r.out().contains("[rank 1] videos: 8 listed"),
        r.out());
    assertTrue(
        r.out().contains("(8 rows in 2 shard(s))"),
        "the last rank to finish wrote the metadata:\n" + r.out());
    for (int s = 0; s < 2; s++) {
      String name = HfDataset.shardName(s, 2);
      assertArrayEquals(
          Files.readAllBytes(single.resolve(name)),
          Files.readAllBytes(launched.resolve(name)),
          name);
    }
    try (ArrowVideoDataset a = ArrowVideoDataset.open(single);
        ArrowVideoDataset b = ArrowVideoDataset.open(launched)) {
      assertEquals(8, b.size());
      assertEquals(a.info().compressor(), b.info().compressor());
      assertTrue(b.info().textEncoder().startsWith("builtin:"), b.info().textEncoder());
      // both ranks built the same encoder from the same captions and seed
      for (String f : new String[] {"model.safetensors", "tokenizer.json"}) {
        assertArrayEquals(
            Files.readAllBytes(single.resolve("text_encoder").resolve(f)),
            Files.readAllBytes(launched.resolve("text_encoder").resolve(f)),
            f);
      }
    }
  }
}
