package io.jsora.data;

import java.util.List;
import java.util.Map;

/**
 * JSON text laid out byte for byte as Python's {@code json.dumps} writes it (separators {@code ",
 * "} and {@code ": "}, {@code ensure_ascii}), so files and schema metadata match what Hugging Face
 * {@code datasets} writes. Maps keep their iteration order.
 */
final class PyJson {
  private PyJson() {}

  /** One line, as {@code json.dumps(obj)}. */
  static String dumps(Object o) {
    StringBuilder b = new StringBuilder();
    write(b, o, -1, 0);
    return b.toString();
  }

  /** Indented, as {@code json.dump(obj, f, indent=n)}. */
  static String dumps(Object o, int indent) {
    StringBuilder b = new StringBuilder();
    write(b, o, indent, 0);
    return b.toString();
  }

  private static void write(StringBuilder b, Object o, int indent, int level) {
    if (o == null) {
      b.append("null");
    } else if (o instanceof String s) {
      string(b, s);
    } else if (o instanceof Boolean v) {
      b.append(v ? "true" : "false");
    } else if (o instanceof Double || o instanceof Float) {
      b.append(o);
    } else if (o instanceof Number n) {
      b.append(n.longValue());
    } else if (o instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        b.append(first ? "" : indent < 0 ? ", " : ",");
        newline(b, indent, level + 1);
        string(b, String.valueOf(e.getKey()));
        b.append(": ");
        write(b, e.getValue(), indent, level + 1);
        first = false;
      }
      newline(b, indent, level);
      b.append('}');
    } else if (o instanceof List<?> l) {
      if (l.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append('[');
      boolean first = true;
      for (Object x : l) {
        b.append(first ? "" : indent < 0 ? ", " : ",");
        newline(b, indent, level + 1);
        write(b, x, indent, level + 1);
        first = false;
      }
      newline(b, indent, level);
      b.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + o.getClass() + " as JSON");
    }
  }

  private static void newline(StringBuilder b, int indent, int level) {
    if (indent >= 0) {
      b.append('\n').append(" ".repeat(indent * level));
    }
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
