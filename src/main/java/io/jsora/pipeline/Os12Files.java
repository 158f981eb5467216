package io.jsora.pipeline;

import io.jsora.checkpoint.HubCache;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.checkpoint.Weights;
import io.jsora.model.osvae.OpenSoraVae;
import io.jsora.model.osvae.OsVaeCompressor;
import io.jsora.model.osvae.OsVaeConfig;
import io.jsora.model.osvae.OsVaeFiles;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.t5.T5TextEncoder;
import io.jsora.model.t5.T5Tokenizer;
import io.jsora.model.t5.T5Weights;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.CompressorKind;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ModelFamily;
import io.jsora.run.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * The released Open-Sora 1.2 files as {@link Os12Components}: three directories laid out as the
 * Hugging Face repositories publish them, found once ({@link #locate}) with every file checked
 * before anything is loaded, then each component loaded when asked and owned by the caller.
 *
 * <ul>
 *   <li>{@value #STDIT3_REPO}: {@code config.json}, {@code model.safetensors};
 *   <li>{@value #VAE_REPO}: {@code config.json}, {@code model.safetensors} (or {@code
 *       pytorch_model.bin}); its 2D VAE's shape is the SDXL VAE's, built in, its weights are in
 *       that file;
 *   <li>{@value #T5_REPO}: {@code config.json}, {@code spiece.model} and the weights: {@code
 *       pytorch_model-0000k-of-0000n.bin} shards with {@code pytorch_model.bin.index.json} (as
 *       published), or any other layout {@link T5Weights} reads.
 * </ul>
 */
public final class Os12Files implements Os12Components {
  public static final String STDIT3_REPO = "hpcai-tech/OpenSora-STDiT-v3";
  public static final String VAE_REPO = OsVaeFiles.RELEASED_REPO;
  public static final String T5_REPO = "DeepFloyd/t5-v1_1-xxl";

  /**
   * Where each component is: a model directory holding one folder per component, and per-component
   * overrides.
   *
   * @param modelDir null, or a directory holding {@code OpenSora-STDiT-v3/}, {@code
   *     OpenSora-VAE-v1.2/} and {@code t5-v1_1-xxl/} (the repositories' names), or a Hugging Face
   *     hub cache root holding them as {@code models--ORG--NAME}
   * @param stdit3 null, or the STDiT3 directory or repository id (then looked up in the hub cache)
   * @param vae likewise for the VAE
   * @param t5 likewise for T5
   */
  public record Sources(Path modelDir, String stdit3, String vae, String t5) {}

  private final Path stdit3Dir;
  private final Path vaeDir;
  private final Path t5Dir;
  private final STDiT3Config modelConfig;
  private final OsVaeConfig vaeConfig;
  private final SdVaeConfig spatialConfig;
  private final StageDtypes dtypes;
  private final Device device;
  private final HubCache hub;

  private Os12Files(
      Path stdit3Dir,
      Path vaeDir,
      Path t5Dir,
      STDiT3Config modelConfig,
      OsVaeConfig vaeConfig,
      SdVaeConfig spatialConfig,
      StageDtypes dtypes,
      Device device,
      HubCache hub) {
    this.stdit3Dir = stdit3Dir;
    this.vaeDir = vaeDir;
    this.t5Dir = t5Dir;
    this.modelConfig = modelConfig;
    this.vaeConfig = vaeConfig;
    this.spatialConfig = spatialConfig;
    this.dtypes = dtypes;
    this.device = device;
    this.hub = hub;
  }

  /**
   * Finds the three components and checks that each holds its files; reads the STDiT3 and VAE
   * configs (small) but no weights.
   *
   * @param device where the components will run; stays owned by the caller
   * @throws NoSuchFileException naming the component, its repository and the file it lacks
   */
  public static Os12Files locate(Sources sources, HubCache hub, StageDtypes dtypes, Device device)
      throws IOException {
    Path st = find("STDiT3", STDIT3_REPO, sources.stdit3(), sources.modelDir(), hub);
    RunConfig trained = trainedRun(st);
    if (trained != null) { // a jsora STDiT3 checkpoint: its newest step, its encoders by default
      st = CheckpointLayout.resolve(st);
      sources = withRecordedEncoders(sources, trained);
    }
    Path va = find("VAE", VAE_REPO, sources.vae(), sources.modelDir(), hub);
    Path t5 = find("T5", T5_REPO, sources.t5(), sources.modelDir(), hub);
    require("STDiT3", STDIT3_REPO, st, List.of("config.json"));
    require("STDiT3", STDIT3_REPO, st, List.of("model.safetensors"));
    require("VAE", VAE_REPO, va, List.of("config.json"));
    require("VAE", VAE_REPO, va, List.of("model.safetensors", "pytorch_model.bin"));
    require("T5", T5_REPO, t5, List.of("config.json"));
    require("T5", T5_REPO, t5, List.of(T5Tokenizer.SPIECE));
    require(
        "T5",
        T5_REPO,
        t5,
        List.of(
            T5Weights.TORCH_INDEX,
            T5Weights.SAFETENSORS_INDEX,
            T5Weights.SAFETENSORS,
            T5Weights.TORCH));
    try {
      T5Weights.files(t5); // every shard an index lists exists
    } catch (IOException e) {
      throw new NoSuchFileException(t5.toString(), null, "T5 (" + T5_REPO + "): " + e.getMessage());
    }
    STDiT3Config mc =
        trained != null ? trained.stdit3() : STDiT3Config.read(st.resolve("config.json"));
    OsVaeConfig vc = OsVaeConfig.read(va.resolve("config.json"));
    SdVaeConfig sc = OsVaeFiles.spatialConfig(vc.vae2d(), va.toAbsolutePath(), hub);
    if (vc.latentChannels() != mc.inChannels()) {
      throw new IllegalArgumentException(
          "the VAE ("
              + va
              + ") makes "
              + vc.latentChannels()
              + " latent channels but the STDiT3 ("
              + st
              + ") takes in_channels "
              + mc.inChannels());
    }
    return new Os12Files(st, va, t5, mc, vc, sc, dtypes, device, hub);
  }

  /**
   * The run a jsora training checkpoint (or run directory) of an STDiT3 records; null for a
   * published STDiT3 directory.
   *
   * @throws IllegalArgumentException when the checkpoint holds another family, or was trained on
   *     other encoders than the 1.2 VAE and T5 this pipeline runs
   */
  private static RunConfig trainedRun(Path st) throws IOException {
    boolean checkpoint =
        Files.isRegularFile(st.resolve(CheckpointLayout.STATE))
            || !CheckpointLayout.list(st).isEmpty();
    if (!checkpoint) {
      return null;
    }
    Path dir = CheckpointLayout.resolve(st);
    RunConfig rc = CheckpointLayout.readConfig(dir);
    String where = "--stdit3 " + dir + ": ";
    if (rc.model().family() != ModelFamily.STDIT3) {
      throw new IllegalArgumentException(
          where
              + "a checkpoint of model family "
              + rc.model().family()
              + "; sample it with --ckpt");
    }
    if (rc.compressor().kind() != CompressorKind.OSVAE) {
      throw new IllegalArgumentException(
          where
              + "trained on "
              + rc.compressor().kind()
              + " latents; the Open-Sora 1.2 pipeline decodes with the 1.2 VAE (osvae)");
    }
    if (TextEncoders.kindOf(rc.textEncoder()) != TextEncoders.Kind.T5) {
      throw new IllegalArgumentException(
          where
              + "trained on the text states of "
              + rc.textEncoder()
              + "; the Open-Sora 1.2 pipeline encodes prompts with T5");
    }
    return rc;
  }

  /**
   * {@code sources} with the VAE and T5 a checkpoint was trained with where neither {@code
   * --model-dir} nor the component's flag names one.
   */
  private static Sources withRecordedEncoders(Sources s, RunConfig rc) {
    if (s.modelDir() != null) {
      return s;
    }
    String vae = s.vae() != null ? s.vae() : rc.compressor().dir();
    String t5 =
        s.t5() != null ? s.t5() : rc.textEncoder().substring(TextEncoders.T5_PREFIX.length());
    return new Sources(null, s.stdit3(), vae, t5);
  }

  /** The directory of one component, or an error naming its repository. */
  private static Path find(String what, String repo, String spec, Path modelDir, HubCache hub)
      throws IOException {
    String label = what + " (" + repo + ")";
    if (spec != null) {
      return hub.resolve(spec, label);
    }
    String name = repo.substring(repo.indexOf('/') + 1);
    List<String> looked = new ArrayList<>();
    if (modelDir != null) {
      if (!Files.isDirectory(modelDir)) {
        throw new NoSuchFileException(modelDir.toString(), null, "--model-dir: no such directory");
      }
      Path sub = modelDir.resolve(name);
      if (Files.isDirectory(sub)) {
        return sub;
      }
      looked.add(sub + " (absent)");
      Path cached = HubCache.at(modelDir).find(repo, looked);
      if (cached != null) {
        return cached;
      }
    } else {
      Path cached = hub.find(repo, looked);
      if (cached != null) {
        return cached;
      }
    }
    throw new NoSuchFileException(
        repo,
        null,
        label
            + ": not found (looked at "
            + String.join("; ", looked)
            + "); download the repository "
            + repo
            + ", e.g. `huggingface-cli download "
            + repo
            + (modelDir != null ? " --local-dir " + modelDir.resolve(name) : "")
            + "`");
  }

  /** Checks that {@code dir} holds one of {@code names}. */
  private static void require(String what, String repo, Path dir, List<String> names)
      throws IOException {
    for (String n : names) {
      if (Files.isRegularFile(dir.resolve(n))) {
        return;
      }
    }
    throw new NoSuchFileException(
        dir.resolve(names.get(0)).toString(),
        null,
        what
            + ": "
            + dir
            + " has no "
            + String.join(" or ", names)
            + " (file "
            + names.get(0)
            + " of the repository "
            + repo
            + "; the directory holds: "
            + HubCache.contents(dir)
            + ")");
  }

  public Path stdit3Dir() {
    return stdit3Dir;
  }

  public Path vaeDir() {
    return vaeDir;
  }

  public Path t5Dir() {
    return t5Dir;
  }

  @Override
  public STDiT3Config modelConfig() {
    return modelConfig;
  }

  @Override
  public long[] latentShape(long frames, long height, long width) {
    int f = spatialConfig.spatialFactor();
    return new long[] {
      vaeConfig.latentChannels(), vaeConfig.latentFrames(frames), height / f, width / f
    };
  }

  @Override
  public int spatialFactor() {
    return spatialConfig.spatialFactor();
  }

  @Override
  public StageDtypes dtypes() {
    return dtypes;
  }

  @Override
  public TextEncoder loadTextEncoder(int maxLength) throws IOException {
    return T5TextEncoder.load(t5Dir, dtypes.text().dtype(), device, maxLength);
  }

  @Override
  public STDiT3 loadModel() throws IOException {
    STDiT3 model = new STDiT3(modelConfig);
    try {
      try (PointerScope s = new PointerScope()) {
        model.to(device, dtypes.model().dtype().scalarType(), false);
      }
      Path file = stdit3Dir.resolve("model.safetensors");
      try (Weights.Loaded w = Weights.read(file)) {
        StrictLoader.load(model, w.tensors(), file.toString());
      }
      model.eval();
      return model;
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  @Override
  public OsVaeCompressor loadVae(long seed) throws IOException {
    OpenSoraVae vae = OsVaeFiles.loadDir(vaeDir.toString(), device, hub);
    try {
      if (dtypes.vae() != StageDtype.FP32) {
        vae.toDtype(dtypes.vae().dtype().scalarType());
      }
      return new OsVaeCompressor(vae, seed);
    } catch (RuntimeException e) {
      vae.close();
      throw e;
    }
  }
}
