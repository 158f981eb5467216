package io.jsora.model.t5;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StateDictMismatchException;
import io.jsora.checkpoint.TensorInfo;
import io.jsora.checkpoint.TorchCheckpoint;
import io.jsora.checkpoint.WeightsFormatException;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads T5 encoder weights as Hugging Face publishes them, strictly, one shard at a time:
 *
 * <ul>
 *   <li>{@code model.safetensors}, or shards {@code model-0000k-of-0000n.safetensors} listed by
 *       {@code model.safetensors.index.json};
 *   <li>{@code pytorch_model.bin} ({@code torch.save}), or shards {@code
 *       pytorch_model-0000k-of-0000n.bin} listed by {@code pytorch_model.bin.index.json}.
 * </ul>
 *
 * A path is one of those files or a directory holding one (tried in that order). A whole {@code
 * T5ForConditionalGeneration} checkpoint loads too: its decoder ({@code decoder.*}) and {@code
 * lm_head.weight} are skipped. {@code shared.weight} and {@code encoder.embed_tokens.weight} are
 * one tied tensor, so either name supplies it (upstream writes one or both). Any other key that is
 * missing, unexpected or of the wrong shape is an error, all of them reported at once.
 *
 * <p>Values are converted to the model's dtype as they are copied, so a float32 checkpoint loads
 * into a bf16 model holding only the bf16 copy plus one tensor (safetensors) or one shard (torch).
 */
public final class T5Weights {
  private static final Logger log = LoggerFactory.getLogger(T5Weights.class);

  private T5Weights() {}

  public static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
  public static final String SAFETENSORS = "model.safetensors";
  public static final String TORCH_INDEX = "pytorch_model.bin.index.json";
  public static final String TORCH = "pytorch_model.bin";

  static final String SHARED = "shared.weight";
  static final String EMBED_TOKENS = "encoder.embed_tokens.weight";

  /** Whether {@code name} belongs to the decoder half of a whole encoder-decoder checkpoint. */
  public static boolean isDecoderKey(String name) {
    return name.startsWith("decoder.") || name.equals("lm_head.weight");
  }

  /** The file {@code path} names: itself, or the first of the known names inside a directory. */
  static Path entry(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      for (String name : List.of(SAFETENSORS_INDEX, SAFETENSORS, TORCH_INDEX, TORCH)) {
        if (Files.isRegularFile(path.resolve(name))) {
          return path.resolve(name);
        }
      }
      throw new WeightsFormatException(
          path,
          "no T5 weights here; expected one of "
              + SAFETENSORS_INDEX
              + ", "
              + SAFETENSORS
              + ", "
              + TORCH_INDEX
              + ", "
              + TORCH);
    }
    if (!Files.isRegularFile(path)) {
      throw new WeightsFormatException(path, "no such file");
    }
    return path;
  }

  private static boolean isIndex(Path file) {
    return file.getFileName().toString().endsWith(".index.json");
  }

  /** The weight files {@code path} stands for, in load order (the distinct shards of an index). */
  public static List<Path> files(Path path) throws IOException {
    Path file = entry(path);
    return isIndex(file)
        ? List.copyOf(new LinkedHashSet<>(weightMap(file).values()))
        : List.of(file);
  }

  /** name → shard file of an {@code *.index.json}, every shard checked to exist. */
  static Map<String, Path> weightMap(Path indexFile) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(indexFile.toFile());
    } catch (IOException e) {
      throw new WeightsFormatException(indexFile, "not valid JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new WeightsFormatException(indexFile, "no \"weight_map\" object");
    }
    Map<String, Path> out = new LinkedHashMap<>();
    Path dir = indexFile.toAbsolutePath().getParent();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new WeightsFormatException(
            indexFile,
            "weight_map." + e.getKey() + ": expected a file name, found " + e.getValue());
      }
      Path shard = dir.resolve(e.getValue().asText());
      if (!Files.isRegularFile(shard)) {
        throw new WeightsFormatException(
            indexFile, "weight_map." + e.getKey() + ": shard " + shard + " does not exist");
      }
      out.put(e.getKey(), shard);
    }
    return out;
  }

  /**
   * Copies the weights at {@code path} into {@code model}.
   *
   * @throws StateDictMismatchException listing every missing, unexpected and mis-shaped key; the
   *     model is then partly loaded and should be discarded
   */
  public static void load(T5Encoder model, Path path) throws IOException {
    Path file = entry(path);
    List<Path> files = files(file);
    String source = isIndex(file) ? file + " (" + files.size() + " shards)" : file.toString();
    // shape queries and aliases of the parameters are temporary handles: a scope frees them
    try (PointerScope scope = new PointerScope();
        StateDict target = model.stateDict()) {
      if (isIndex(file)) {
        // a wrong index fails before any shard is read
        Progress planned = new Progress(target);
        for (String name : weightMap(file).keySet()) {
          planned.plan(name);
        }
        planned.throwIfWrong(source);
      }
      Progress progress = new Progress(target);
      for (Path shard : files) {
        if (SafetensorsFile.looksLike(shard)) {
          loadSafetensors(shard, progress);
        } else {
          loadTorch(shard, progress);
        }
      }
      progress.throwIfWrong(source);
      if (progress.skipped > 0) {
        log.info(
            "{}: loaded {} encoder tensors; skipped {} decoder tensors",
            source,
            progress.loaded.size(),
            progress.skipped);
      }
    }
  }

  private static void loadSafetensors(Path file, Progress progress) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (TensorInfo info : f.tensors()) {
        if (progress.accept(info.name(), info.shape())) {
          try (PointerScope scope = new PointerScope()) {
            progress.copy(info.name(), f.tensor(info.name()));
          }
        }
      }
    }
  }

  /** A torch.save shard, tensor by tensor: the decoder's are never read. */
  private static void loadTorch(Path file, Progress progress) throws IOException {
    TorchCheckpoint.visit(file, progress::accept, progress::copy);
  }

  /** What has been seen so far against what the model declares. */
  private static final class Progress {
    final StateDict target;
    final Set<String> loaded = new LinkedHashSet<>();
    final List<String> unexpected = new ArrayList<>();
    final List<String> mismatched = new ArrayList<>();
    int skipped;

    Progress(StateDict target) {
      this.target = target;
    }

    /** The model name a checkpoint name fills (the tied embedding has two). */
    private static String canonical(String name) {
      return name.equals(EMBED_TOKENS) ? SHARED : name;
    }

    void plan(String name) {
      if (isDecoderKey(name)) {
        skipped++;
      } else if (!target.contains(name)) {
        unexpected.add(name);
      } else {
        loaded.add(canonical(name));
      }
    }

    /**
     * Whether the tensor should be copied; records it as unexpected, mis-shaped or skipped
     * otherwise.
     */
    boolean accept(String name, long[] shape) {
      if (isDecoderKey(name)) {
        skipped++;
        return false;
      }
      Tensor dst = target.get(name);
      if (dst == null) {
        unexpected.add(name + " " + Shapes.format(shape));
        return false;
      }
      long[] want = Shapes.of(dst);
      if (!Arrays.equals(want, shape)) {
        mismatched.add(
            name + ": model " + Shapes.format(want) + ", weights " + Shapes.format(shape));
        loaded.add(canonical(name)); // reported once, as mis-shaped, not also as missing
        return false;
      }
      return true;
    }

    void copy(String name, Tensor value) {
      try (NoGradGuard g = new NoGradGuard()) {
        target.get(name).copy_(value);
      }
      loaded.add(canonical(name));
    }

    void throwIfWrong(String source) {
      List<String> missing = new ArrayList<>();
      for (String name : target.names()) {
        if (!name.equals(EMBED_TOKENS) && !loaded.contains(name)) {
          missing.add(
              name.equals(SHARED)
                  ? target.describe(name) + " (or " + EMBED_TOKENS + ")"
                  : target.describe(name));
        }
      }
      if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
        throw new StateDictMismatchException(source, missing, unexpected, mismatched);
      }
    }
  }
}
