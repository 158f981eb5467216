package io.jsora.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the reference's captions format: a JSON array, or JSONL (one object per line), of {@code
 * {"file": "video0.mp4", "captions": ["...", "..."]}}.
 *
 * <p>Entries naming the same file are merged (captions in order), so each video is decoded once. A
 * malformed JSONL line, or an entry without a file name or captions, is set aside as a {@link
 * Problem} with its line number and the rest is used; a JSON array that does not parse at all is an
 * {@link IOException} naming the line and column.
 */
public final class CaptionsFile {
  private CaptionsFile() {}

  /** One video and its captions; {@code line} is where it first appears (1-based). */
  public record Entry(String file, List<String> captions, int line) {}

  /** A line or entry that could not be used. */
  public record Problem(int line, String reason, String detail) {}

  /** What the file held. */
  public record Contents(List<Entry> entries, List<Problem> problems, int captionCount) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  public static Contents read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.nio.file.NoSuchFileException(file.toString(), null, "captions file not found");
    }
    String first;
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      first = firstNonBlank(r);
    }
    Map<String, Entry> merged = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>();
    if (first != null && first.equals("[")) {
      readArray(file, merged, problems);
    } else {
      readLines(file, merged, problems);
    }
    int count = 0;
    for (Entry e : merged.values()) {
      count += e.captions().size();
    }
    return new Contents(new ArrayList<>(merged.values()), problems, count);
  }

  private static String firstNonBlank(Reader r) throws IOException {
    int c;
    while ((c = r.read()) >= 0) {
      if (!Character.isWhitespace(c) && c != 0xFEFF) {
        return String.valueOf((char) c);
      }
    }
    return null;
  }

  private static void readArray(Path file, Map<String, Entry> merged, List<Problem> problems)
      throws IOException {
    try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException(file + ": expected a JSON array");
      }
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (p.currentToken() == null) {
          throw new IOException(file + ": unexpected end of file inside the JSON array");
        }
        int line = p.currentLocation().getLineNr();
        JsonNode node = JSON.readTree(p);
        add(node, line, merged, problems);
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new IOException(
          file
              + ": not valid JSON at line "
              + (at == null ? "?" : at.getLineNr())
              + ", column "
              + (at == null ? "?" : at.getColumnNr())
              + ": "
              + e.getOriginalMessage(),
          e);
    }
  }

  private static void readLines(Path file, Map<String, Entry> merged, List<Problem> problems)
      throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      int line = 0;
      while ((text = r.readLine()) != null) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
          problems.add(
              new Problem(
                  line,
                  "bad-caption-line",
                  "line " + line + " is not valid JSON: " + e.getOriginalMessage()));
          continue;
        }
        add(node, line, merged, problems);
      }
    }
  }

  private static void add(
      JsonNode node, int line, Map<String, Entry> merged, List<Problem> problems) {
    if (node == null || !node.isObject()) {
      problems.add(
          new Problem(
              line,
              "bad-caption-line",
              "line " + line + ": expected an object {\"file\": ..., \"captions\": [...]}"));
      return;
    }
    JsonNode file = node.get("file");
    JsonNode caps = node.get("captions");
    if (file == null || !file.isTextual() || file.asText().isBlank()) {
      problems.add(new Problem(line, "bad-caption-line", "line " + line + ": no \"file\" name"));
      return;
    }
    List<String> captions = new ArrayList<>();
    if (caps != null && caps.isTextual()) {
      captions.add(caps.asText());
    } else if (caps != null && caps.isArray()) {
      for (JsonNode c : caps) {
        if (!c.isTextual()) {
          problems.add(
              new Problem(
                  line,
                  "bad-caption-line",
                  "line " + line + ": a caption of " + file.asText() + " is not a string: " + c));
          return;
        }
        captions.add(c.asText());
      }
    } else {
      problems.add(
          new Problem(
              line,
              "bad-caption-line",
              "line "
                  + line
                  + ": \"captions\" of "
                  + file.asText()
                  + " must be a list of strings"));
      return;
    }
    if (captions.isEmpty()) {
      problems.add(
          new Problem(
              line, "no-captions", "line " + line + ": " + file.asText() + " has no captions"));
      return;
    }
    Entry old = merged.get(file.asText());
    if (old == null) {
      merged.put(file.asText(), new Entry(file.asText(), captions, line));
    } else {
      List<String> all = new ArrayList<>(old.captions());
      all.addAll(captions);
      merged.put(file.asText(), new Entry(old.file(), all, old.line()));
    }
  }
}
