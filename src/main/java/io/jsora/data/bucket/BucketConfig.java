package io.jsora.data.bucket;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.config.InvalidChoiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Resolution buckets in the reference's {@code bucket_config} form, {@code {resolution:
 * {num_frames: (keep_prob, batch_size)}}}, e.g.
 *
 * <pre>{@code
 * {"144p": {"1": [1.0, 475], "51": [1.0, 51], "102": [[1.0, 0.33], 27]},
 *  "360p": {"1": [0.2, 141], "51": [0.15, 8]},
 *  "480p": {"1": [0.1, 89], "408": [0.0, null]}}
 * }</pre>
 *
 * (the Python spelling of the reference's config files, with tuples and bare-number keys, is read
 * as well). {@code keep_prob} is either p — a sample long and large enough for the bucket lands in
 * it with probability p, otherwise it tries the next smaller resolution — or a pair (p, q): the
 * length bucket is considered at all only with probability q (else the next shorter one is), then
 * kept with p. A bucket with keep probability 0 never takes a sample and may have no batch size
 * ({@code null}).
 *
 * <p>{@link #buckets()} is in the reference's order: resolutions by pixel budget, largest first
 * (equal budgets in the order given), lengths longest first; a bucket's place in that list is its
 * index, which seeds its keep draws.
 *
 * @param buckets one entry per (resolution, number of frames)
 */
public record BucketConfig(List<Bucket> buckets) {
  /**
   * One (resolution, number of frames) bucket; the sample's aspect ratio picks the size within it.
   *
   * @param resolution the pixel budget and aspect-ratio table
   * @param numFrames frames a sample of this bucket has (1 for images)
   * @param keep probability that a fitting sample is kept here
   * @param lengthKeep when present, probability that this length is considered for a sample at all
   *     (the second element of the reference's {@code (p, q)} pair)
   * @param batchSize samples per batch on one rank; 0 only when {@code keep} is 0
   */
  public record Bucket(
      Resolution resolution, int numFrames, double keep, OptionalDouble lengthKeep, int batchSize) {
    public Bucket {
      String where = "bucket_config['" + resolution.id() + "'][" + numFrames + "]";
      if (numFrames < 1) {
        throw new IllegalArgumentException(where + ": number of frames must be >= 1");
      }
      if (!(keep >= 0 && keep <= 1)) {
        throw new IllegalArgumentException(
            where + ": keep probability must be in [0, 1], got " + keep);
      }
      if (lengthKeep.isPresent()
          && !(lengthKeep.getAsDouble() >= 0 && lengthKeep.getAsDouble() <= 1)) {
        throw new IllegalArgumentException(
            where + ": length probability must be in [0, 1], got " + lengthKeep.getAsDouble());
      }
      if (batchSize < 0 || (batchSize == 0 && keep > 0)) {
        throw new IllegalArgumentException(
            where
                + ": batch size must be >= 1 (or null when the keep probability is 0), got "
                + (batchSize == 0 ? "null" : batchSize)
                + " with keep probability "
                + keep);
      }
    }
  }

  public BucketConfig {
    if (buckets.isEmpty()) {
      throw new IllegalArgumentException("bucket_config: no bucket given");
    }
    Set<String> seen = new HashSet<>();
    for (Bucket b : buckets) {
      if (!seen.add(b.resolution().id() + "/" + b.numFrames())) {
        throw new IllegalArgumentException(
            "bucket_config['" + b.resolution().id() + "'][" + b.numFrames() + "]: given twice");
      }
    }
    List<Bucket> sorted = new ArrayList<>(buckets);
    List<Resolution> firstSeen = new ArrayList<>();
    for (Bucket b : buckets) {
      if (!firstSeen.contains(b.resolution())) {
        firstSeen.add(b.resolution());
      }
    }
    sorted.sort(
        Comparator.comparingLong((Bucket b) -> -b.resolution().pixels())
            .thenComparingInt(b -> firstSeen.indexOf(b.resolution()))
            .thenComparingInt(b -> -b.numFrames()));
    buckets = List.copyOf(sorted);
  }

  /** The bucket for {@code resolution} and {@code numFrames}, or null. */
  public Bucket bucket(Resolution resolution, int numFrames) {
    for (Bucket b : buckets) {
      if (b.resolution() == resolution && b.numFrames() == numFrames) {
        return b;
      }
    }
    return null;
  }

  /** The bucket's place in {@link #buckets()} (what seeds its keep draws). */
  public int index(Bucket bucket) {
    int i = buckets.indexOf(bucket);
    if (i < 0) {
      throw new IllegalArgumentException("not a bucket of this config: " + bucket);
    }
    return i;
  }

  /**
   * The reference's count of buckets: every (resolution, frames) times its resolution's aspect
   * ratios. Samples' seeds are spaced by it.
   */
  public int sizeWithRatios() {
    int n = 0;
    for (Bucket b : buckets) {
      n += b.resolution().ratios().size();
    }
    return n;
  }

  /** Reads a config written as JSON or in the reference's Python spelling. */
  public static BucketConfig parse(String text, String source) {
    return fromTree(PyLiteral.read(text, source), source);
  }

  /** Reads a file holding only the bucket config (JSON or Python-literal). */
  public static BucketConfig read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read bucket config " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Binding from a JSON or YAML tree, for settings files that embed a {@code bucket_config}: the
   * map itself, or a string holding it (JSON or Python spelling, starting with <code>{</code>) or
   * naming a file that holds it (as {@code --bucket-config FILE|JSON} gives it).
   */
  @JsonCreator
  public static BucketConfig fromJson(JsonNode tree) {
    if (tree != null && tree.isTextual()) {
      String text = tree.textValue().strip();
      if (text.startsWith("{")) {
        return parse(text, "bucket_config");
      }
      try {
        return parse(Files.readString(Path.of(text)), text);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "bucket_config: '"
                + text
                + "' is neither a bucket config (a map starting with '{') nor a readable file: "
                + e,
            e);
      }
    }
    return fromTree(tree, "bucket_config");
  }

  /** The config as JSON, in the form {@link #fromJson} reads (keep pairs as arrays). */
  @JsonValue
  public JsonNode toJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    for (Bucket b : buckets) {
      ObjectNode r =
          root.has(b.resolution().id())
              ? (ObjectNode) root.get(b.resolution().id())
              : root.putObject(b.resolution().id());
      ArrayNode entry = f.arrayNode();
      if (b.lengthKeep().isPresent()) {
        entry.addArray().add(b.keep()).add(b.lengthKeep().getAsDouble());
      } else {
        entry.add(b.keep());
      }
      if (b.batchSize() == 0) {
        entry.addNull();
      } else {
        entry.add(b.batchSize());
      }
      r.set(Integer.toString(b.numFrames()), entry);
    }
    return root;
  }

  private static BucketConfig fromTree(JsonNode tree, String source) {
    if (tree == null || !tree.isObject()) {
      throw new IllegalArgumentException(
          source
              + ": expected a map {resolution: {num_frames: (keep_prob, batch_size)}}, found "
              + kind(tree));
    }
    List<Bucket> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> res = it.next();
      Resolution resolution;
      try {
        resolution = Resolution.parse(res.getKey());
      } catch (InvalidChoiceException e) {
        throw new IllegalArgumentException(
            source + ": key '" + res.getKey() + "': " + e.getMessage(), e);
      }
      String rwhere = source + "['" + res.getKey() + "']";
      if (!res.getValue().isObject()) {
        throw new IllegalArgumentException(
            rwhere
                + ": expected a map {num_frames: (keep_prob, batch_size)}, found "
                + kind(res.getValue()));
      }
      for (Iterator<Map.Entry<String, JsonNode>> jt = res.getValue().fields(); jt.hasNext(); ) {
        Map.Entry<String, JsonNode> t = jt.next();
        String where = rwhere + "[" + t.getKey() + "]";
        int frames;
        try {
          frames = Integer.parseInt(t.getKey().trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              rwhere + ": key '" + t.getKey() + "': expected a number of frames (an integer >= 1)");
        }
        if (frames < 1) {
          throw new IllegalArgumentException(
              rwhere + ": key '" + t.getKey() + "': expected a number of frames >= 1");
        }
        JsonNode v = t.getValue();
        if (!v.isArray() || v.size() != 2) {
          throw new IllegalArgumentException(
              where + ": expected (keep_prob, batch_size), found " + kind(v));
        }
        JsonNode p = v.get(0);
        double keep;
        OptionalDouble lengthKeep = OptionalDouble.empty();
        if (p.isNumber()) {
          keep = p.doubleValue();
        } else if (p.isArray() && p.size() == 2 && p.get(0).isNumber() && p.get(1).isNumber()) {
          keep = p.get(0).doubleValue();
          lengthKeep = OptionalDouble.of(p.get(1).doubleValue());
        } else {
          throw new IllegalArgumentException(
              where
                  + ": keep_prob: expected a probability or a pair (keep, length probability), found "
                  + kind(p));
        }
        JsonNode bs = v.get(1);
        int batchSize;
        if (bs.isNull()) {
          batchSize = 0;
        } else if (bs.isIntegralNumber() && bs.canConvertToInt() && bs.intValue() >= 1) {
          batchSize = bs.intValue();
        } else {
          throw new IllegalArgumentException(
              where + ": batch_size: expected an integer >= 1 or null, found " + kind(bs));
        }
        out.add(new Bucket(resolution, frames, keep, lengthKeep, batchSize));
      }
    }
    return new BucketConfig(out);
  }

  private static String kind(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    if (n.isObject()) {
      return "a map";
    }
    if (n.isArray()) {
      return "a sequence of " + n.size() + " " + n;
    }
    return n.isTextual() ? "'" + n.textValue() + "'" : n.toString();
  }
}
