package io.jsora.data.bucket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads a value written either as JSON or as a Python literal the way the reference's config files
 * spell dictionaries: {@code {"144p": {1: (1.0, 475), 102: ((1.0, 0.33), 27)}}}. Accepted beyond
 * JSON: tuples {@code ( )} (read as arrays), single-quoted strings, bare numbers as keys, {@code
 * None}/{@code True}/{@code False}, trailing commas and {@code #} comments. Keys become strings.
 */
final class PyLiteral {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final String text;
  private final String source;
  private int pos;

  private PyLiteral(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /**
   * The value {@code text} holds.
   *
   * @param source what to call the text in errors (a file name or a setting)
   * @throws IllegalArgumentException naming the source, line and column and what was expected
   */
  static JsonNode read(String text, String source) {
    PyLiteral p = new PyLiteral(text, source);
    JsonNode v = p.value();
    p.blank();
    if (p.pos < text.length()) {
      throw p.error("end of input");
    }
    return v;
  }

  private JsonNode value() {
    blank();
    if (pos >= text.length()) {
      throw error("a value");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return dict();
      case '(':
        return sequence('(', ')');
      case '[':
        return sequence('[', ']');
      case '"':
      case '\'':
        return F.textNode(string());
      default:
        break;
    }
    if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
      return number();
    }
    String word = word();
    switch (word) {
      case "None":
      case "null":
        return F.nullNode();
      case "True":
      case "true":
        return F.booleanNode(true);
      case "False":
      case "false":
        return F.booleanNode(false);
      default:
        pos -= word.length();
        throw error("a value");
    }
  }

  private ObjectNode dict() {
    ObjectNode o = F.objectNode();
    pos++;
    while (true) {
      blank();
      if (peek('}')) {
        pos++;
        return o;
      }
      int at = pos;
      JsonNode k = value();
      if (!k.isTextual() && !k.isNumber()) {
        pos = at;
        throw error("a key (string or number)");
      }
      String key = k.isTextual() ? k.textValue() : k.asText();
      if (o.has(key)) {
        pos = at;
        throw error("a key not given before ('" + key + "' repeats)");
      }
      blank();
      expect(':');
      o.set(key, value());
      blank();
      if (peek(',')) {
        pos++;
      } else if (!peek('}')) {
        throw error("',' or '}'");
      }
    }
  }

  private ArrayNode sequence(char open, char close) {
    ArrayNode a = F.arrayNode();
    pos++;
    while (true) {
      blank();
      if (peek(close)) {
        pos++;
        return a;
      }
      a.add(value());
      blank();
      if (peek(',')) {
        pos++;
      } else if (!peek(close)) {
        throw error("',' or '" + close + "'");
      }
    }
  }

  private String string() {
    char quote = text.charAt(pos++);
    StringBuilder b = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return b.toString();
      }
      if (c == '\\' && pos < text.length()) {
        char e = text.charAt(pos++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'u' -> {
            if (pos + 4 > text.length()) {
              throw error("four hex digits after \\u");
            }
            b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            pos += 4;
          }
          default -> b.append(e);
        }
      } else {
        b.append(c);
      }
    }
    throw error("the closing " + quote);
  }

  private JsonNode number() {
    int start = pos;
    while (pos < text.length() && "+-.eE0123456789_".indexOf(text.charAt(pos)) >= 0) {
      pos++;
    }
    String s = text.substring(start, pos).replace("_", "");
    try {
      if (s.matches("[+-]?\\d+")) {
        return F.numberNode(Long.parseLong(s));
      }
      return F.numberNode(Double.parseDouble(s));
    } catch (NumberFormatException e) {
      pos = start;
      throw error("a number");
    }
  }

  private String word() {
    int start = pos;
    while (pos < text.length() && Character.isLetter(text.charAt(pos))) {
      pos++;
    }
    return text.substring(start, pos);
  }

  private void blank() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else {
        return;
      }
    }
  }

  private boolean peek(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("'" + c + "'");
    }
    pos++;
  }

  private IllegalArgumentException error(String expected) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    String found =
        pos >= text.length()
            ? "the end"
            : "'" + text.substring(pos, Math.min(text.length(), pos + 12)).replace("\n", " ") + "'";
    return new IllegalArgumentException(
        source
            + ": line "
            + line
            + ", column "
            + col
            + ": expected "
            + expected
            + ", found "
            + found);
  }
}
