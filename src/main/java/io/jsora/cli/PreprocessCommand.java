package io.jsora.cli;

import io.jsora.data.LatentSpec;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.model.text.TextEncoder;
import io.jsora.tensor.Devices;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jsora preprocess}: captions + videos → Arrow dataset in the Hugging Face save_to_disk
 * layout.
 */
@Command(
    name = "preprocess",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Encode captions (and optionally video latents) into a dataset in the Hugging Face datasets save_to_disk layout: one row per (video, caption) with video_file, text_latent_states[, video_latent_states], video_size. Each video is decoded once; bad videos are skipped and listed in OUT/skipped.jsonl; an interrupted run continues with --resume, every pair written exactly once. Under a launcher (RANK, WORLD_SIZE) each rank takes its share of the shards.")
public final class PreprocessCommand implements Callable<Integer> {
  /**
   * Turns {@code --text-model} and {@code --compressor} into objects. The default is wired to the
   * text-encoder and compressor factories of {@code io.jsora.model}; tests install fakes.
   */
  public interface Models {
    /** The text encoder for {@code spec} (a directory, a Hugging Face id, or {@code builtin}). */
    TextEncoder textEncoder(String spec, Path datasetDir, List<String> captions, Device device)
        throws IOException;

    /**
     * As {@link #textEncoder(String, Path, List, Device)} with T5's padded length ({@code
     * --text-max-length}); null keeps the encoder's own.
     */
    default TextEncoder textEncoder(
        String spec, Integer maxLength, Path datasetDir, List<String> captions, Device device)
        throws IOException {
      if (maxLength != null) {
        throw new IllegalArgumentException("--text-max-length: this encoder factory takes none");
      }
      return textEncoder(spec, datasetDir, captions, device);
    }

    /** The latent cache for {@code compressor}; the returned owner is closed after the run. */
    Latents latents(String compressor, Path dirOrNull, LatentSpec.Kind floatKind, Device device)
        throws IOException;
  }

  /** A latent spec and the object that owns its model. */
  public record Latents(LatentSpec spec, AutoCloseable owner) {}

  /** Where models come from; replaced by tests. */
  static volatile Models models = new Wired();

  /**
   * Replaces the model factories; a test seam (the kill-and-resume test uses a fast fake encoder).
   */
  static void setModels(Models m) {
    models = m;
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-c", "--captions"},
      required = true,
      paramLabel = "FILE",
      description = "Captions: JSON array or JSONL of {\"file\": ..., \"captions\": [...]}.")
  Path captions;

  @Option(
      names = {"-v", "--video-dir"},
      required = true,
      paramLabel = "DIR",
      description = "Directory the captions' file names are relative to.")
  Path videoDir;

  @Option(
      names = {"-o", "--out"},
      required = true,
      paramLabel = "DIR",
      description = "Output dataset directory.")
  Path out;

  @Option(
      names = "--text-model",
      defaultValue = "builtin",
      paramLabel = "DIR|ID|t5:DIR|builtin",
      description =
          "Text encoder: a local directory, a Hugging Face id found in the local cache (e.g. openai/clip-vit-base-patch32), "
              + "T5 (a directory or id whose config.json has model_type t5, e.g. DeepFloyd/t5-v1_1-xxl, or t5:DIR|ID), "
              + "or builtin (vocabulary built from these captions and stored with the dataset; real CLIP understands text far better).")
  String textModel;

  @Option(
      names = "--text-max-length",
      paramLabel = "N",
      description =
          "T5 only: tokens captions are truncated and padded to (default 300, as Open-Sora 1.2).")
  Integer textMaxLength;

  @Option(
      names = "--use-pooled-text",
      description = "Store the pooled text state [D] instead of the states [S, D].")
  boolean pooled;

  @Option(
      names = "--max-frames",
      defaultValue = "600",
      description = "Skip videos with more frames (0: no limit).")
  long maxFrames;

  @Option(
      names = "--cache-latents",
      description =
          "Also store video_latent_states from --compressor, so training skips decode and encode.")
  boolean cacheLatents;

  @Option(
      names = "--compressor",
      defaultValue = "raw",
      paramLabel = "raw|vqvae|vae|osvae",
      description =
          "Compressor for --cache-latents (osvae: the Open-Sora 1.2 VAE, default hpcai-tech/OpenSora-VAE-v1.2).")
  String compressor;

  @Option(
      names = "--compressor-dir",
      paramLabel = "DIR",
      description = "Compressor weights directory (default: the compressor's standard location).")
  Path compressorDir;

  @Option(
      names = "--latent-dtype",
      defaultValue = "float16",
      paramLabel = "float16|float32",
      description = "Storage of raw/vae/osvae latents (vqvae stores int32 code indices).")
  LatentDtype latentDtype;

  @Option(
      names = "--num-shards",
      defaultValue = "1",
      paramLabel = "N",
      description = "Number of data-*.arrow files.")
  int shards;

  @Option(names = "--resume", description = "Continue an interrupted run in OUT.")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace an existing dataset in OUT.")
  boolean overwrite;

  @Option(
      names = "--text-batch",
      defaultValue = "64",
      description = "Captions per text-encoder call.")
  int textBatch;

  @Option(
      names = "--chunk",
      defaultValue = "16",
      description = "Videos per record batch (the most an interrupted run repeats).")
  int chunk;

  @Option(
      names = "--decode-workers",
      defaultValue = "2",
      description = "Videos decoded in parallel ahead of the encoder.")
  int workers;

  @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto.")
  io.jsora.tensor.DeviceSpec device;

  @Override
  public Integer call() throws Exception {
    int rank = envInt("RANK", 0);
    int world = envInt("WORLD_SIZE", 1);
    PreprocessConfig cfg =
        new PreprocessConfig(
            captions, videoDir, out, pooled, maxFrames, shards, resume, overwrite, textBatch, chunk,
            workers, rank, world);
    LatentSpec.Kind kind = latentDtype.kind();
    List<String> allCaptions = new java.util.ArrayList<>();
    for (io.jsora.data.CaptionsFile.Entry e : io.jsora.data.CaptionsFile.read(captions).entries()) {
      allCaptions.addAll(e.captions());
    }
    Preprocessor.checkOutput(cfg); // before a built-in encoder is written into OUT
    Preprocessor.checkVideos(cfg); // an empty dataset is not worth a text encoder
    PrintWriter o = spec.commandLine().getOut();
    Preprocessor.Summary s;
    try (Device dev = Devices.resolve(device);
        TextEncoder text = models.textEncoder(textModel, textMaxLength, out, allCaptions, dev)) {
      if (textModel.equals("builtin")) {
        o.println(
            "note: the built-in text encoder only knows the words of these captions; real CLIP (--text-model openai/clip-vit-base-patch32) understands text far better");
      }
      Latents latents = cacheLatents ? models.latents(compressor, compressorDir, kind, dev) : null;
      try (Progress p =
          Progress.console(
              "preprocess" + (world > 1 ? " rank " + rank : ""),
              0,
              0,
              "videos",
              false,
              System.err,
              Environment.progressBar())) {
        s = new Preprocessor(cfg, text, latents == null ? null : latents.spec(), dev).run(p);
      } finally {
        if (latents != null) {
          latents.owner().close();
        }
      }
    }
    Map<String, Integer> reasons = new TreeMap<>();
    for (Preprocessor.Skip k : s.skipped()) {
      reasons.merge(k.reason(), 1, Integer::sum);
    }
    o.printf(
        "videos: %d listed, %d decoded by this run; pairs written: %d%n",
        s.videos(), s.videosProcessed(), s.pairsWritten());
    o.printf("skipped: %d %s%n", s.skipped().size(), reasons.isEmpty() ? "" : reasons.toString());
    o.printf(
        "speed: %.2f videos/s, %.2f pairs/s (%.1f s)%n",
        s.videosPerSecond(), s.pairsPerSecond(), s.seconds());
    if (s.complete()) {
      o.printf(
          "dataset: %s (%d rows in %d shard(s)); skip reasons in %s%n",
          out, s.rowsTotal(), s.shards(), out.resolve("skipped.jsonl"));
    } else {
      o.printf(
          "this rank's shards are done: %d of %d shards in place; the last rank to finish writes the metadata%n",
          s.shardsDone(), s.shards());
    }
    o.flush();
    return 0;
  }

  private static int envInt(String name, int fallback) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'", e);
    }
  }

  /**
   * The real factories: {@code T5TextEncoders.loadForDataset} (T5, CLIP, or for {@code builtin} the
   * encoder built from these captions into {@code OUT/text_encoder}) and {@code
   * AllCompressors.load} (the 1.2 VAE among them); a VQ-VAE stores its code indices.
   */
  static final class Wired implements Models {
    /** Seed of the built-in encoder's initial weights. */
    static final long BUILTIN_SEED = 0;

    @Override
    public TextEncoder textEncoder(
        String spec, Path datasetDir, List<String> captions, Device device) throws IOException {
      return textEncoder(spec, null, datasetDir, captions, device);
    }

    @Override
    public TextEncoder textEncoder(
        String spec, Integer maxLength, Path datasetDir, List<String> captions, Device device)
        throws IOException {
      return io.jsora.model.t5.T5TextEncoders.loadForDataset(
          spec, maxLength, datasetDir, captions, BUILTIN_SEED, device, Environment.hubCache());
    }

    @Override
    public Latents latents(
        String compressor, Path dirOrNull, LatentSpec.Kind floatKind, Device device)
        throws IOException {
      io.jsora.model.vae.VideoCompressor c =
          io.jsora.model.osvae.AllCompressors.load(
              compressor,
              dirOrNull,
              device,
              io.jsora.model.vae.CompressorOptions.defaults(),
              Environment.hubCache());
      if (c instanceof io.jsora.model.vae.VqVaeCompressor vq) {
        return new Latents(
            LatentSpec.indices(
                c,
                video -> {
                  io.jsora.model.vae.VqVae.Encoded e = vq.encodeWithIndices(video);
                  e.embeddings().close();
                  return e.indices();
                }),
            c);
      }
      return new Latents(LatentSpec.floats(c, floatKind), c);
    }
  }
}
