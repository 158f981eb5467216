package io.jsora.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per line, each with at least {@code "step"}, flushed as it
 * is written so a crash loses at most the line being written. Opening it for a resumed run drops
 * the lines after the resumed step, so the file reads as one uninterrupted run.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final BufferedWriter out;

  private MetricsLog(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /**
   * Opens {@code file} for appending.
   *
   * @param resumeStep the step the run resumes from: lines with a larger {@code "step"} (and
   *     unreadable trailing lines) are removed first; negative keeps everything
   */
  public static MetricsLog open(Path file, long resumeStep) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(file) && resumeStep >= 0) {
      StringBuilder kept = new StringBuilder();
      boolean changed = false;
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode n = parse(line);
        if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= resumeStep) {
          kept.append(line).append('\n');
        } else {
          changed = true;
        }
      }
      if (changed) {
        AtomicFiles.writeString(file, kept.toString());
      }
    }
    BufferedWriter w =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return new MetricsLog(file, w);
  }

  public Path file() {
    return file;
  }

  /** Appends one record (must hold {@code "step"}) and flushes. */
  public void append(Map<String, ?> record) throws IOException {
    if (!record.containsKey("step")) {
      throw new IllegalArgumentException("metrics record needs a 'step': " + record);
    }
    out.write(JSON.writeValueAsString(record));
    out.write('\n');
    out.flush();
  }

  /** Every readable record of {@code file}, in order (an unfinished last line is skipped). */
  public static List<JsonNode> read(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      JsonNode n = parse(line);
      if (n != null) {
        out.add(n);
      }
    }
    return out;
  }

  private static JsonNode parse(String line) {
    if (line.isBlank()) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(line);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
