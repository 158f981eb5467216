package io.jsora.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Reads weights in any supported format: safetensors, or a {@code torch.save} archive. */
public final class Weights {
  private Weights() {}

  /** Which container a file was read from. */
  public enum Format {
    SAFETENSORS,
    TORCH
  }

  /**
   * Weights read from a file; owns its tensors.
   *
   * @param tensors the tensors by name
   * @param metadata safetensors {@code __metadata__} (empty for torch files)
   * @param skipped names of non-tensor values in a torch file (ints, strings...), not loaded
   */
  public record Loaded(
      StateDict tensors, Map<String, String> metadata, List<String> skipped, Format format)
      implements AutoCloseable {
    @Override
    public void close() {
      tensors.close();
    }
  }

  /**
   * Reads {@code path}, choosing the format from the file's first bytes; caller owns the result.
   */
  public static Loaded read(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new WeightsFormatException(path, "no such file");
    }
    if (Files.isDirectory(path)) {
      throw new WeightsFormatException(
          path, "is a directory; give a .safetensors, .pt, .pth or .bin file");
    }
    if (Files.size(path) > 0 && TorchCheckpoint.isZip(path)) {
      TorchCheckpoint.Result r = TorchCheckpoint.read(path);
      return new Loaded(r.tensors(), Map.of(), r.skipped(), Format.TORCH);
    }
    try (SafetensorsFile f = SafetensorsFile.open(path)) {
      return new Loaded(f.readAll(), f.metadata(), List.of(), Format.SAFETENSORS);
    }
  }
}
