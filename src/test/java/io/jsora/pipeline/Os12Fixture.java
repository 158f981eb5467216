package io.jsora.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.model.osvae.OpenSoraVae;
import io.jsora.model.osvae.OsVaeConfig;
import io.jsora.model.t5.T5Config;
import io.jsora.model.t5.T5Encoder;
import io.jsora.model.t5.T5Tokenizer;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;

/**
 * A tiny seeded Open-Sora 1.2 checkpoint set in the released layout: {@code OpenSora-STDiT-v3/}
 * (the golden tiny STDiT3 under upstream keys: hidden 48, depth 2, captions 32 wide and 8 long),
 * {@code OpenSora-VAE-v1.2/} (the pipeline config with the released shift/scale, a 4-level 2D VAE
 * of 4 channels, so the spatial factor is 8 as released, and a 2-filter temporal VAE) and {@code
 * t5-v1_1-xxl/} (a 2-layer T5 32 wide over the golden {@code spiece.model}).
 */
public final class Os12Fixture {
  public static final Path GOLDEN = Path.of("src/test/resources/golden");
  public static final String STDIT3 = "OpenSora-STDiT-v3";
  public static final String VAE = "OpenSora-VAE-v1.2";
  public static final String T5 = "t5-v1_1-xxl";

  private static final String SPATIAL =
      "{\"_class_name\": \"AutoencoderKL\", \"act_fn\": \"silu\", \"block_out_channels\": [4, 4, 4, 4],"
          + " \"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\","
          + " \"DownEncoderBlock2D\", \"DownEncoderBlock2D\"], \"up_block_types\":"
          + " [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\", \"UpDecoderBlock2D\","
          + " \"UpDecoderBlock2D\"], \"in_channels\": 3, \"out_channels\": 3, \"latent_channels\": 4,"
          + " \"layers_per_block\": 1, \"norm_num_groups\": 2, \"sample_size\": 16,"
          + " \"scaling_factor\": 0.13025}";

  private Os12Fixture() {}

  /** Writes the three component folders into {@code dir}. */
  public static void build(Path dir) throws IOException {
    Natives.load();
    Path st = Files.createDirectories(dir.resolve(STDIT3));
    Files.copy(GOLDEN.resolve("stdit3/tiny_config.json"), st.resolve("config.json"));
    Files.copy(GOLDEN.resolve("stdit3/tiny_weights.safetensors"), st.resolve("model.safetensors"));

    Path vae = Files.createDirectories(dir.resolve(VAE));
    Files.copy(GOLDEN.resolve("osvae/config.json"), vae.resolve("config.json"));
    Files.createDirectories(vae.resolve("spatial"));
    Files.writeString(vae.resolve("spatial/config.json"), SPATIAL);
    try (Device cpu = new Device("cpu");
        PointerScope s = new PointerScope()) {
      Seeds.manualSeed(7);
      OsVaeConfig vc = OsVaeConfig.read(vae.resolve("config.json"));
      SdVaeConfig sc = SdVaeConfig.read(vae.resolve("spatial/config.json"));
      try (OpenSoraVae m = new OpenSoraVae(vc, sc, cpu)) {
        SafetensorsWriter.write(vae.resolve("model.safetensors"), StateDict.of(m), Map.of());
      }
    }

    Path t5 = Files.createDirectories(dir.resolve(T5));
    Files.copy(GOLDEN.resolve("t5/spiece/spiece.model"), t5.resolve(T5Tokenizer.SPIECE));
    int vocab;
    try (T5Tokenizer tok = T5Tokenizer.load(t5.resolve(T5Tokenizer.SPIECE))) {
      vocab = tok.vocabSize();
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode cfg = (ObjectNode) json.readTree(GOLDEN.resolve("t5/tiny/config.json").toFile());
    cfg.put("d_model", 32);
    cfg.put("vocab_size", vocab);
    Files.writeString(t5.resolve("config.json"), cfg.toPrettyString());
    T5Config tc = T5Config.read(t5.resolve("config.json"));
    try (Device cpu = new Device("cpu");
        PointerScope s = new PointerScope();
        T5Encoder m = T5Encoder.create(tc, DType.F32, cpu, 11)) {
      SafetensorsWriter.write(t5.resolve("model.safetensors"), m.stateDict(), Map.of());
    }
  }
}
