package io.jsora.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Hugging Face {@code datasets} {@code save_to_disk} layout, as {@code datasets} writes it:
 *
 * <ul>
 *   <li>{@code data-0000i-of-0000N.arrow}: Arrow IPC <em>stream</em> files whose schema metadata
 *       key {@code huggingface} holds {@code {"info": {"features": ...}}};
 *   <li>{@code dataset_info.json}: {@code citation}, {@code description}, {@code features}, {@code
 *       homepage}, {@code license} (sorted, indent 2);
 *   <li>{@code state.json}: the shard file names, a fingerprint and the (empty) format settings.
 * </ul>
 *
 * Features are written in the {@code Sequence}/{@code Value} form that every {@code datasets}
 * version reads ({@code Sequence(Value('float32'))} is serialised as {@code {"feature": {"dtype":
 * "float32", "_type": "Value"}, "_type": "Sequence"}}), and map to Arrow {@code list<item: ...>}
 * columns, nullable, as pyarrow makes them.
 */
public final class HfDataset {
  private HfDataset() {}

  /** Column: the video's file name, relative to the video directory. */
  public static final String VIDEO_FILE = "video_file";

  /** Column: text encoder states, {@code [S, D]} float32 without padding, or pooled {@code [D]}. */
  public static final String TEXT_LATENT_STATES = "text_latent_states";

  /** Column (optional): cached video latent, see {@link LatentSpec}. */
  public static final String VIDEO_LATENT_STATES = "video_latent_states";

  /**
   * Column (jsora's addition): the decoded video's {@code [T, H, W]}, for shape buckets without
   * probing.
   */
  public static final String VIDEO_SIZE = "video_size";

  /** A column: its name, list nesting depth and leaf {@code Value} dtype. */
  public record Column(String name, int depth, String dtype) {}

  /** The columns jsora writes for these options. */
  public static List<Column> columns(boolean pooled, LatentSpec latent) {
    List<Column> c = new ArrayList<>();
    c.add(new Column(VIDEO_FILE, 0, "string"));
    c.add(new Column(TEXT_LATENT_STATES, pooled ? 1 : 2, "float32"));
    if (latent != null) {
      c.add(new Column(VIDEO_LATENT_STATES, latent.kind().rank(), latent.kind().hfDtype()));
    }
    c.add(new Column(VIDEO_SIZE, 1, "int32"));
    return c;
  }

  /** {@code Features.to_dict()} of the columns, in order. */
  public static Map<String, Object> features(List<Column> columns) {
    Map<String, Object> f = new LinkedHashMap<>();
    for (Column c : columns) {
      Object feature = value(c.dtype());
      for (int i = 0; i < c.depth(); i++) {
        Map<String, Object> seq = new LinkedHashMap<>();
        seq.put("feature", feature);
        seq.put("_type", "Sequence");
        feature = seq;
      }
      f.put(c.name(), feature);
    }
    return f;
  }

  private static Map<String, Object> value(String dtype) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("dtype", dtype);
    v.put("_type", "Value");
    return v;
  }

  /**
   * The Arrow schema, with the {@code huggingface} metadata {@code datasets} reads features from.
   */
  public static Schema schema(List<Column> columns) {
    List<Field> fields = new ArrayList<>();
    for (Column c : columns) {
      Field f =
          new Field(
              c.depth() == 0 ? c.name() : "item", FieldType.nullable(arrowType(c.dtype())), null);
      for (int i = 0; i < c.depth(); i++) {
        f =
            new Field(
                i == c.depth() - 1 ? c.name() : "item",
                FieldType.nullable(ArrowType.List.INSTANCE),
                List.of(f));
      }
      fields.add(f);
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("features", features(columns));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("info", info);
    return new Schema(fields, Map.of("huggingface", PyJson.dumps(meta)));
  }

  /** The Arrow type of a {@code Value} dtype. */
  static ArrowType arrowType(String dtype) {
    return switch (dtype) {
      case "string" -> ArrowType.Utf8.INSTANCE;
      case "float16" -> new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
      case "float32" -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case "float64" -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case "int16" -> new ArrowType.Int(16, true);
      case "int32" -> new ArrowType.Int(32, true);
      case "int64" -> new ArrowType.Int(64, true);
      default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
    };
  }

  /** {@code dataset_info.json} text. */
  public static String datasetInfo(List<Column> columns, String description) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("citation", "");
    info.put("description", description);
    info.put("features", features(columns));
    info.put("homepage", "");
    info.put("license", "");
    return PyJson.dumps(info, 2);
  }

  /** The name of shard {@code i} of {@code n}: {@code data-00000-of-00004.arrow}. */
  public static String shardName(int i, int n) {
    return String.format("data-%05d-of-%05d.arrow", i, n);
  }

  /** {@code state.json} text. */
  public static String state(int shards, String fingerprint) {
    List<Object> files = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("filename", shardName(i, shards));
      files.add(f);
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("_data_files", files);
    s.put("_fingerprint", fingerprint);
    s.put("_format_columns", null);
    s.put("_format_kwargs", new LinkedHashMap<>());
    s.put("_format_type", null);
    s.put("_output_all_columns", false);
    s.put("_split", null);
    return PyJson.dumps(s, 2);
  }
}
