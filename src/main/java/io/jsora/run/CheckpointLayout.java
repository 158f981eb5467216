package io.jsora.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import io.jsora.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Module;

/**
 * Where a run's checkpoints are and what each holds: finding them and reading what sampling needs
 * (the {@link RunConfig} and the weights). Writing them is the trainer's ({@code
 * train.Checkpointer}).
 *
 * <pre>
 * CHECKPOINT_DIR/step-0000123/
 *   model.safetensors      the model's parameters and buffers (upstream names)
 *   ema.safetensors        the fp32 EMA parameters plus the model's buffers (loads like the model)
 *   optimizer.safetensors  AdamW state (the full state, gathered under ZeRO-2)
 *   state.json             step, epoch, scheduler, data position, RNG, NaN counts
 *   config.json            the {@link RunConfig}
 * </pre>
 */
public final class CheckpointLayout {
  public static final String MODEL = "model.safetensors";
  public static final String EMA = "ema.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "state.json";
  public static final String CONFIG = "config.json";

  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");

  private CheckpointLayout() {}

  /** {@code step-0000123}. */
  public static String dirName(long step) {
    return String.format("step-%07d", step);
  }

  /**
   * Complete checkpoints under {@code root} (directories {@code step-N} holding a state.json),
   * oldest first.
   */
  public static List<Path> list(Path root) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> s = Files.list(root)) {
      s.filter(p -> STEP_DIR.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.isRegularFile(p.resolve(STATE)))
          .sorted((a, b) -> Long.compare(stepOf(a), stepOf(b)))
          .forEach(out::add);
    }
    return out;
  }

  /** The newest complete checkpoint under {@code root}, if any. */
  public static Optional<Path> latest(Path root) throws IOException {
    List<Path> all = list(root);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Whether {@code name} is a checkpoint directory's name. */
  public static boolean isStepDir(String name) {
    return STEP_DIR.matcher(name).matches();
  }

  /** The step encoded in a checkpoint directory's name. */
  public static long stepOf(Path dir) {
    Matcher m = STEP_DIR.matcher(dir.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          dir + ": not a checkpoint directory (expected a name like step-0000123)");
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * The checkpoint {@code spec} means for a run writing under {@code root}: none, the latest under
   * {@code root} (none if there is none yet), or the given directory.
   *
   * @throws IOException naming the path when a given directory holds no usable checkpoint
   */
  public static Optional<Path> resolveResume(ResumeSpec spec, Path root) throws IOException {
    return switch (spec.kind()) {
      case NONE -> Optional.empty();
      case AUTO -> latest(root);
      case DIR -> Optional.of(resolve(Path.of(spec.dir())));
    };
  }

  /**
   * A checkpoint directory itself, or the latest checkpoint inside a run's checkpoint directory.
   *
   * @throws IOException naming the path and what was expected
   */
  public static Path resolve(Path path) throws IOException {
    if (Files.isRegularFile(path.resolve(STATE))) {
      return path;
    }
    if (!Files.isDirectory(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such checkpoint directory");
    }
    return latest(path)
        .orElseThrow(
            () ->
                new NoSuchFileException(
                    path.toString(),
                    null,
                    "neither a checkpoint (no "
                        + STATE
                        + ") nor a directory holding step-N checkpoints"));
  }

  /** The {@code config.json} of a checkpoint as a tree (for tools that show it). */
  public static JsonNode readConfigTree(Path dir) throws IOException {
    Path f = dir.resolve(CONFIG);
    try {
      return Settings.JSON.readTree(f.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(f + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * The run configuration of a checkpoint (either format).
   *
   * @throws IOException when the file is missing or not JSON
   * @throws io.jsora.config.SettingsException naming the file and key when it does not bind
   */
  public static RunConfig readConfig(Path dir) throws IOException {
    return RunConfig.fromJson(readConfigTree(dir), dir.resolve(CONFIG).toString());
  }

  /** Loads a checkpoint's model weights (or its EMA weights) into {@code model}, strictly. */
  public static void loadWeights(Path dir, Module model, boolean ema) throws IOException {
    Path file = dir.resolve(ema ? EMA : MODEL);
    try (SafetensorsFile f = SafetensorsFile.open(file);
        StateDict sd = f.readAll()) {
      StrictLoader.load(model, sd, file.toString());
    }
  }
}
