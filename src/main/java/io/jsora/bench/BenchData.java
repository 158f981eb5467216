package io.jsora.bench;

import io.jsora.data.CaptionsFile;
import io.jsora.data.LatentSpec;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;

/**
 * The synthetic data benchmarks run on: moving-shape clips of the requested size, captioned, and
 * (for training and sampling) preprocessed with the built-in text encoder.
 */
final class BenchData {
  private BenchData() {}

  /** What {@link #prepare} made. */
  record Prepared(
      Path videos, Path captions, Path dataset, Preprocessor.Summary preprocess, int textLen) {}

  /**
   * Synthesises {@code count} clips of {@code frames × size × size} pixels under {@code dir}.
   *
   * @return the captions file (videos are beside it, in {@code videos/})
   */
  static Path synthesise(Path dir, int count, int frames, int size, long seed) throws IOException {
    SynthConfig c =
        SynthConfig.defaults(count)
            .withFrames(frames)
            .withSize(size)
            .withSeed(seed)
            .withStart(SynthConfig.Start.RANDOM);
    Synth.generate(c, dir, Progress.NONE);
    return dir.resolve("captions.json");
  }

  /**
   * Synthesises clips and preprocesses them into {@code dir/dataset}, caching the {@code
   * compressor}'s latents and the built-in text encoder's states.
   */
  static Prepared prepare(
      Path dir,
      int count,
      int frames,
      int height,
      int width,
      CompressorKind compressor,
      Path compressorDir,
      long seed,
      Device device,
      io.jsora.checkpoint.HubCache hub)
      throws IOException {
    if (height != width) {
      throw new IllegalArgumentException(
          "the synthetic benchmark data is square: give --height equal to --width (got "
              + height
              + " and "
              + width
              + ")");
    }
    Path captions = synthesise(dir.resolve("data"), count, frames, height, seed);
    Path dataset = dir.resolve("dataset");
    List<String> texts = new ArrayList<>();
    for (CaptionsFile.Entry e : CaptionsFile.read(captions).entries()) {
      texts.addAll(e.captions());
    }
    PreprocessConfig pc = PreprocessConfig.of(captions, captions.resolveSibling("videos"), dataset);
    Preprocessor.Summary summary;
    int textLen;
    try (TextEncoder text =
            TextEncoders.loadForDataset(TextEncoders.BUILTIN, dataset, texts, seed, device);
        VideoCompressor comp =
            Compressors.load(
                compressor,
                compressorDir,
                device,
                io.jsora.model.vae.CompressorOptions.defaults(),
                hub)) {
      textLen = text.maxLength();
      summary =
          new Preprocessor(pc, text, LatentSpec.floats(comp, LatentSpec.Kind.FLOAT16), device)
              .run(Progress.NONE);
    }
    return new Prepared(captions.resolveSibling("videos"), captions, dataset, summary, textLen);
  }
}
