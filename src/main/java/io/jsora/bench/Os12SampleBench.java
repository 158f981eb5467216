package io.jsora.bench;

import io.jsora.config.Choice;
import io.jsora.model.osvae.OpenSoraVae;
import io.jsora.model.osvae.OsVaeCompressor;
import io.jsora.model.osvae.OsVaeConfig;
import io.jsora.model.osvae.OsVaeFiles;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.t5.T5Config;
import io.jsora.model.t5.T5Encoder;
import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.pipeline.AspectRatio;
import io.jsora.pipeline.Os12Components;
import io.jsora.pipeline.Os12Listener;
import io.jsora.pipeline.Os12Pipeline;
import io.jsora.pipeline.Os12Request;
import io.jsora.pipeline.Os12Result;
import io.jsora.pipeline.Resolution;
import io.jsora.pipeline.StageDtype;
import io.jsora.tensor.DType;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Open-Sora 1.2 generation through {@link Os12Pipeline} with full-size STDiT3-XL/2 and the released
 * VAE's shape, seeded weights (the weights do not change the time; no download needed): per stage
 * (T5, denoise, decode) its seconds including the load, the seconds per denoising step and the peak
 * resident memory (peak allocated memory on CUDA).
 *
 * <p>T5 is T5-XXL (4.76 B parameters, 9.5 GB in bf16) or, to spare a small machine, a one-layer T5
 * of the same width; the captions are synthetic token ids (no {@code spiece.model} needed), 20 real
 * tokens then padding to 300, as a short prompt gives.
 */
public final class Os12SampleBench {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(Os12SampleBench.class);

  private Os12SampleBench() {}

  /** Which T5 the bench builds. */
  public enum T5Size implements Choice {
    /** T5 v1.1 XXL: 24 layers, 4.76 B parameters. */
    XXL("xxl"),
    /** The XXL's width with one layer: the stage's shape without its memory. */
    TINY("tiny");

    private final String id;

    T5Size(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    public static T5Size parse(String s) {
      return Choice.parse(T5Size.class, s);
    }

    @Override
    public String toString() {
      return id;
    }
  }

  /**
   * @param resolution and {@code ratio}: the video size (upstream's table)
   * @param frames pixel frames per clip
   * @param steps denoising steps timed
   * @param cfgScale guidance scale (the batch is doubled either way)
   * @param t5 which T5
   * @param dtype STDiT3 and VAE dtype
   * @param t5Dtype T5 dtype
   * @param device cpu, cuda, cuda:N or auto
   */
  public record Options(
      Resolution resolution,
      AspectRatio ratio,
      int frames,
      int steps,
      double cfgScale,
      T5Size t5,
      StageDtype dtype,
      StageDtype t5Dtype,
      DeviceSpec device) {}

  /** Runs one generation and returns a record per stage. */
  public static List<BenchRecord> run(Options o) throws IOException {
    try (Device device = Devices.resolve(o.device())) {
      Seeded parts =
          new Seeded(
              o.t5(), new Os12Components.StageDtypes(o.t5Dtype(), o.dtype(), o.dtype()), device);
      int[] hw = o.resolution().size(o.ratio());
      Os12Request req =
          new Os12Request(
              List.of("a bench prompt"),
              hw[0],
              hw[1],
              o.frames(),
              24,
              42,
              o.steps(),
              o.cfgScale(),
              6.5,
              null,
              List.of(),
              io.jsora.diffusion.rflow.MaskStrategy.none(),
              1,
              5,
              true);
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("model", "STDiT3-XL/2");
      config.put("resolution", o.resolution().id());
      config.put("aspect_ratio", o.ratio().id());
      config.put("height", hw[0]);
      config.put("width", hw[1]);
      config.put("frames", o.frames());
      config.put("steps", o.steps());
      config.put("t5", o.t5().id());
      config.put("t5_dtype", o.t5Dtype().id());
      config.put("dtype", o.dtype().id());
      config.put("device", device.str().getString());
      Timer timer = new Timer(device, config);
      try (Os12Result r = new Os12Pipeline(parts, device).generate(req, timer)) {
        timer.records.add(
            new BenchRecord(
                "os12-sample/total",
                config,
                timer.total(),
                timer.total(),
                timer.total(),
                null,
                null,
                null,
                Memory.peakResidentBytes(),
                Map.of("video", java.util.Arrays.toString(io.jsora.tensor.Shapes.of(r.video())))));
      }
      return timer.records;
    }
  }

  /** Times each stage from its begin (which includes loading) and peaks its memory. */
  private static final class Timer implements Os12Listener {
    final List<BenchRecord> records = new ArrayList<>();
    private final Device device;
    private final Map<String, Object> config;
    private final long t0 = System.nanoTime();
    private long begin;
    private final List<Long> steps = new ArrayList<>();
    private Memory.Peak peak;
    private String what;

    Timer(Device device, Map<String, Object> config) {
      this.device = device;
      this.config = config;
    }

    double total() {
      return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public void begin(Stage stage, String what, long units) {
      this.what = what;
      steps.clear();
      peak = Memory.startPeak(device);
      begin = System.nanoTime();
    }

    @Override
    public void step(Stage stage) {
      steps.add(System.nanoTime());
    }

    @Override
    public void end(Stage stage) {
      double s = (System.nanoTime() - begin) / 1e9;
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("what", what);
      if (stage == Stage.DENOISE && steps.size() >= 2) {
        // between the first and the last step: the load and the first step's warm-up excluded
        double perStep = (steps.get(steps.size() - 1) - steps.get(0)) / 1e9 / (steps.size() - 1);
        extra.put("s_per_step", perStep);
        extra.put("first_step_s_with_load", (steps.get(0) - begin) / 1e9);
      }
      // each stage is reported as it ends, so a run stopped later still leaves its figures
      log.info(
          "stage {} ({}): {} s{}, peak {} MiB",
          stage.name().toLowerCase(java.util.Locale.ROOT),
          what,
          String.format(java.util.Locale.ROOT, "%.1f", s),
          extra.containsKey("s_per_step")
              ? String.format(
                  java.util.Locale.ROOT, ", %.2f s per step", (Double) extra.get("s_per_step"))
              : "",
          peak.bytes() / (1024 * 1024));
      records.add(
          new BenchRecord(
              "os12-sample/" + stage.name().toLowerCase(java.util.Locale.ROOT),
              config,
              s,
              s,
              s,
              null,
              null,
              null,
              peak.bytes(),
              extra));
    }
  }

  /** Full-size components with seeded weights, built when a stage asks. */
  static final class Seeded implements Os12Components {
    private final T5Size t5;
    private final StageDtypes dtypes;
    private final Device device;
    private final STDiT3Config modelConfig = STDiT3Config.xl2();
    private final OsVaeConfig vaeConfig = OsVaeConfig.released();
    private final SdVaeConfig spatial = OsVaeFiles.sdxlVae();

    Seeded(T5Size t5, StageDtypes dtypes, Device device) {
      this.t5 = t5;
      this.dtypes = dtypes;
      this.device = device;
    }

    @Override
    public STDiT3Config modelConfig() {
      return modelConfig;
    }

    @Override
    public long[] latentShape(long frames, long height, long width) {
      int f = spatial.spatialFactor();
      return new long[] {
        vaeConfig.latentChannels(), vaeConfig.latentFrames(frames), height / f, width / f
      };
    }

    @Override
    public int spatialFactor() {
      return spatial.spatialFactor();
    }

    @Override
    public StageDtypes dtypes() {
      return dtypes;
    }

    @Override
    public TextEncoder loadTextEncoder(int maxLength) {
      T5Config x = T5Config.t5v11Xxl();
      T5Config c =
          t5 == T5Size.XXL
              ? x
              : new T5Config(
                  x.vocabSize(),
                  x.dModel(),
                  x.dKv(),
                  x.dFf(),
                  1,
                  x.numHeads(),
                  x.relativeAttentionNumBuckets(),
                  x.relativeAttentionMaxDistance(),
                  x.dropoutRate(),
                  x.layerNormEpsilon(),
                  x.feedForwardProj(),
                  x.padTokenId(),
                  x.eosTokenId());
      T5Encoder model = T5Encoder.create(c, dtypes.text().dtype(), device, 0);
      return new SyntheticIds(model, maxLength);
    }

    @Override
    public STDiT3 loadModel() {
      Seeds.manualSeed(0);
      STDiT3 m = new STDiT3(modelConfig);
      try (PointerScope s = new PointerScope()) {
        m.to(device, dtypes.model().dtype().scalarType(), false);
      }
      m.eval();
      return m;
    }

    @Override
    public OsVaeCompressor loadVae(long seed) {
      Seeds.manualSeed(0);
      OpenSoraVae v = new OpenSoraVae(vaeConfig, spatial, device);
      if (dtypes.vae() != StageDtype.FP32) {
        v.toDtype(dtypes.vae().dtype().scalarType());
      }
      return new OsVaeCompressor(v, seed);
    }
  }

  /** T5 on fixed ids: 20 real tokens (the last {@code </s>}), then padding. */
  private static final class SyntheticIds implements TextEncoder {
    private final T5Encoder model;
    private final int maxLength;

    SyntheticIds(T5Encoder model, int maxLength) {
      this.model = model;
      this.maxLength = maxLength;
    }

    @Override
    public TextEmbeddings encode(List<String> captions) {
      int b = captions.size();
      int real = Math.min(20, maxLength);
      long[] ids = new long[b * maxLength];
      long[] mask = new long[b * maxLength];
      for (int i = 0; i < b; i++) {
        for (int k = 0; k < real; k++) {
          ids[i * maxLength + k] = k == real - 1 ? 1 : 100 + k;
          mask[i * maxLength + k] = 1;
        }
      }
      try (PointerScope s = new PointerScope();
          NoGradGuard g = new NoGradGuard()) {
        Tensor id = Tensors.of(ids, b, maxLength); // (B, L)
        Tensor m = Tensors.of(mask, b, maxLength); // (B, L)
        Tensor h = model.forward(id, m).to(DType.F32.scalarType()); // (B, L, D)
        Tensor pooled = h.select(1, real - 1); // (B, D)
        return new TextEmbeddings(Scopes.keep(h), Scopes.keep(m), Scopes.keep(pooled));
      }
    }

    @Override
    public int hiddenSize() {
      return model.config().dModel();
    }

    @Override
    public int maxLength() {
      return maxLength;
    }

    @Override
    public String id() {
      return "seeded T5";
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
