package io.jsora.cli;

import io.jsora.data.FakeTextEncoder;
import io.jsora.data.LatentSpec;
import io.jsora.data.TestCompressors;
import io.jsora.model.text.TextEncoder;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Device;

/**
 * Runs the jsora command line with test models installed (the fake text encoder, sleeping {@code
 * -Djsora.test.sleepMs} per call, and the identity compressor), for tests that start the CLI in a
 * child JVM and kill it.
 */
public final class PreprocessChild {
  private PreprocessChild() {}

  /** Installs the fake models into the preprocess command. */
  static void install(long sleepMs) {
    PreprocessCommand.setModels(
        new PreprocessCommand.Models() {
          @Override
          public TextEncoder textEncoder(
              String spec, Path datasetDir, List<String> captions, Device device) {
            return new FakeTextEncoder(0, sleepMs);
          }

          @Override
          public PreprocessCommand.Latents latents(
              String compressor, Path dirOrNull, LatentSpec.Kind floatKind, Device device) {
            return new PreprocessCommand.Latents(
                LatentSpec.floats(TestCompressors.identity(), floatKind), () -> {});
          }
        });
  }

  public static void main(String[] args) {
    install(Long.getLong("jsora.test.sleepMs", 0));
    System.exit(Main.commandLine().execute(args));
  }
}
