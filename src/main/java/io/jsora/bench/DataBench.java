package io.jsora.bench;

import io.jsora.data.CaptionsFile;
import io.jsora.data.LatentSpec;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;

/**
 * The data path on synthetic MP4 clips: decoding (frames/s) and preprocessing (decode, resize and
 * crop, compress, encode captions, write Arrow shards: videos/s and caption pairs/s). Figures are
 * per video, medians over runs, each run a whole pass over the clips into a fresh output.
 */
public final class DataBench {
  private DataBench() {}

  /**
   * @param videos clips to synthesise
   * @param frames frames per clip
   * @param size clip height and width in pixels
   * @param compressor raw, vqvae or vae: the latents preprocessing caches
   * @param compressorDir the learnt compressor's weights, null for its default
   * @param device cpu, cuda, cuda:N or auto
   */
  public record Options(
      int videos,
      int frames,
      int size,
      CompressorKind compressor,
      Path compressorDir,
      DeviceSpec device,
      io.jsora.checkpoint.HubCache hub) {}

  public static List<BenchRecord> run(Options o, int warmup, int runs) throws Exception {
    Natives.load();
    Path work = Files.createTempDirectory("jsora-bench-data");
    try {
      return measure(o, work, warmup, runs);
    } finally {
      io.jsora.checkpoint.AtomicFiles.deleteTree(work);
    }
  }

  private static List<BenchRecord> measure(Options o, Path work, int warmup, int runs)
      throws Exception {
    Path captions = BenchData.synthesise(work.resolve("data"), o.videos(), o.frames(), o.size(), 0);
    Path videoDir = captions.resolveSibling("videos");
    List<Path> files = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    long pairs = 0;
    for (CaptionsFile.Entry e : CaptionsFile.read(captions).entries()) {
      files.add(videoDir.resolve(e.file()));
      texts.addAll(e.captions());
      pairs += e.captions().size();
    }
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("videos", o.videos());
    cfg.put("frames", o.frames());
    cfg.put("height", o.size());
    cfg.put("width", o.size());
    cfg.put("threads", Natives.threads());
    List<BenchRecord> out = new ArrayList<>();

    // decode only
    long[] frames = new long[1];
    Timing decode =
        Stopwatch.time(
            warmup,
            runs,
            1,
            () -> {
              long n = 0;
              for (Path f : files) {
                try (DecodedVideo v = VideoReader.decode(f)) {
                  n += v.length();
                }
              }
              frames[0] = n;
            });
    Map<String, Object> dx = new LinkedHashMap<>();
    dx.put("frames_per_s", frames[0] / decode.median());
    dx.put("videos_per_s", o.videos() / decode.median());
    out.add(BenchRecord.of("data_decode_per_video", cfg, decode.per(o.videos())).withExtra(dx));

    // preprocess: each run into a fresh dataset directory
    Map<String, Object> pcfg = new LinkedHashMap<>(cfg);
    pcfg.put("compressor", o.compressor());
    pcfg.put("text_encoder", "builtin");
    int[] run = new int[1];
    long[] pairsWritten = new long[1];
    try (Device dev = Devices.resolve(o.device());
        TextEncoder text =
            TextEncoders.loadForDataset(
                TextEncoders.BUILTIN, work.resolve("encoder"), texts, 0, dev);
        VideoCompressor comp =
            Compressors.load(
                o.compressor(),
                o.compressorDir(),
                dev,
                io.jsora.model.vae.CompressorOptions.defaults(),
                o.hub())) {
      pcfg.put("device", Devices.name(dev));
      Timing pre =
          Stopwatch.time(
              warmup,
              runs,
              1,
              () -> {
                Path ds = work.resolve("dataset-" + run[0]++);
                Preprocessor.Summary s =
                    new Preprocessor(
                            PreprocessConfig.of(captions, videoDir, ds),
                            text,
                            LatentSpec.floats(comp, LatentSpec.Kind.FLOAT16),
                            dev)
                        .run(Progress.NONE);
                pairsWritten[0] = s.pairsWritten();
                io.jsora.checkpoint.AtomicFiles.deleteTree(ds);
              });
      if (pairsWritten[0] != pairs) {
        throw new IllegalStateException(
            "preprocessing wrote " + pairsWritten[0] + " pairs, expected " + pairs);
      }
      Map<String, Object> px = new LinkedHashMap<>();
      px.put("videos_per_s", o.videos() / pre.median());
      px.put("pairs_per_s", pairs / pre.median());
      out.add(BenchRecord.of("data_preprocess_per_video", pcfg, pre.per(o.videos())).withExtra(px));
    }
    return out;
  }
}
