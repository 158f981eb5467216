package io.jsora.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The caption cleaning Open-Sora 1.2's inference applies to every prompt before T5 ({@code
 * text_preprocessing}: the cleaning its training captions had, run twice). The model saw lower-case
 * captions without URLs, HTML, handles, CJK ideographs, file names, shop phrases or ids, with one
 * kind of dash and quote and single spaces; prompts are brought to that form.
 *
 * <p>One pass ({@link #cleanOnce}) in order:
 *
 * <ol>
 *   <li>URL-decode ({@code +} is a space, {@code %XX} UTF-8 bytes), trim, lower-case, {@code
 *       <person>} → {@code person};
 *   <li>drop URLs (a scheme, {@code www:} or a host in .com/.co/.ru/.net/.org/.edu/.gov/.it), HTML
 *       tags (entities decoded), {@code @handles} and the CJK blocks U+31C0–U+9FFF;
 *   <li>every dash to {@code -}, every double quote to {@code "}, single curly quotes to {@code '};
 *       drop {@code &quot;}, {@code &amp}, IP addresses, a trailing {@code d:dd} id, literal {@code
 *       \n}, {@code #123}, {@code #12345…}, numbers of 6+ digits, file names;
 *   <li>runs of quotes to one {@code "}, runs of dots and of the punctuation {@code
 *       #®•©™&@·º½¾¿¡§~()[]{}|\/*} to a space; " . " to a space; with more than three {@code -} or
 *       {@code _}, all of them to spaces;
 *   <li>text repair ({@link #basicClean}), then drop product codes (letters+digits mixes), shop
 *       phrases ("free shipping", "download", "click for …", image-type words, "page N") and sizes
 *       ({@code 1920x1080});
 *   <li>spacing: " : " → ": ", a space after {@code , . /} that follows a non-digit and precedes a
 *       word, whitespace runs to one space; surrounding quotes removed, one leading {@code ' _ , -
 *       : ;} and one trailing {@code ' _ , - : +} removed, a lone ".word" emptied; trimmed.
 * </ol>
 *
 * <p>Text repair here is NFC normalisation, full-width ASCII and ligatures to plain letters, curly
 * quotes straightened, line breaks unified, control characters and terminal escapes removed, and
 * HTML entities decoded twice. Not reproduced: repair of mis-decoded UTF-8 (mojibake), which the
 * reference also attempts; prompts typed as text do not have it.
 */
public final class CaptionCleaner {
  private CaptionCleaner() {}

  private static final int U = Pattern.UNICODE_CHARACTER_CLASS;

  /** A pattern and what replaces each match (Java replacement syntax: {@code $1}). */
  private record Rule(Pattern pattern, String replacement) {
    static Rule of(String regex, String replacement) {
      return new Rule(Pattern.compile(regex, U), replacement);
    }

    String apply(String s) {
      return pattern.matcher(s).replaceAll(replacement);
    }
  }

  private static final String HOSTS = "(?:com|co|ru|net|org|edu|gov|it)";

  private static final List<Rule> DROP_URLS_HTML_HANDLES =
      List.of(
          Rule.of(
              "\\b((?:https?:(?:/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\\-]+[.]"
                  + HOSTS
                  + "[\\w/-]*\\b/?(?!@)))",
              ""),
          Rule.of(
              "\\b((?:www:(?:/{1,3}|[a-zA-Z0-9%])|[a-zA-Z0-9.\\-]+[.]"
                  + HOSTS
                  + "[\\w/-]*\\b/?(?!@)))",
              ""));

  private static final List<Rule> SYMBOLS_AND_IDS =
      List.of(
          Rule.of("@[\\w\\d]+\\b", ""),
          Rule.of("[\\u31c0-\\u31ef]+", ""),
          Rule.of("[\\u31f0-\\u31ff]+", ""),
          Rule.of("[\\u3200-\\u32ff]+", ""),
          Rule.of("[\\u3300-\\u33ff]+", ""),
          Rule.of("[\\u3400-\\u4dbf]+", ""),
          Rule.of("[\\u4dc0-\\u4dff]+", ""),
          Rule.of("[\\u4e00-\\u9fff]+", ""),
          Rule.of(
              "[\\u002D\\u058A\\u05BE\\u1400\\u1806\\u2010-\\u2015\\u2E17\\u2E1A\\u2E3A\\u2E3B"
                  + "\\u2E40\\u301C\\u3030\\u30A0\\uFE31\\uFE32\\uFE58\\uFE63\\uFF0D]+",
              "-"),
          Rule.of("[`\\u00b4\\u00ab\\u00bb\\u201c\\u201d\\u00a8]", "\""),
          Rule.of("[\\u2018\\u2019]", "'"),
          Rule.of("&quot;?", ""),
          Rule.of("&amp", ""),
          Rule.of("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}", " "),
          Rule.of("\\d:\\d\\d\\s+$", ""),
          Rule.of("\\\\n", " "),
          Rule.of("#\\d{1,3}\\b", ""),
          Rule.of("#\\d{5,}\\b", ""),
          Rule.of("\\b\\d{6,}\\b", ""),
          Rule.of("[\\S]+\\.(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)", ""),
          Rule.of("[\"']{2,}", "\""),
          Rule.of("[.]{2,}", " "),
          Rule.of(
              "[#\\u00ae\\u2022\\u00a9\\u2122&@\\u00b7\\u00ba\\u00bd\\u00be\\u00bf\\u00a1\\u00a7~)(\\]\\[}{|\\\\/*]{1,}",
              " "),
          Rule.of("\\s+\\.\\s+", " "));

  private static final Pattern DASH_OR_UNDERSCORE = Pattern.compile("[-_]");

  private static final List<Rule> CODES_AND_SHOP_PHRASES =
      List.of(
          Rule.of("\\b[a-zA-Z]{1,3}\\d{3,15}\\b", ""),
          Rule.of("\\b[a-zA-Z]+\\d+[a-zA-Z]+\\b", ""),
          Rule.of("\\b\\d+[a-zA-Z]+\\d+\\b", ""),
          Rule.of("(worldwide\\s+)?(free\\s+)?shipping", ""),
          Rule.of("(free\\s)?download(\\sfree)?", ""),
          Rule.of("\\bclick\\b\\s(?:for|on)\\s\\w+", ""),
          Rule.of("\\b(?:png|jpg|jpeg|bmp|webp|eps|pdf|apk|mp4)(\\simage[s]?)?", ""),
          Rule.of("\\bpage\\s+\\d+\\b", ""),
          Rule.of("\\b\\d*[a-zA-Z]+\\d+[a-zA-Z]+\\d+[a-zA-Z\\d]*\\b", " "),
          Rule.of("\\b\\d+\\.?\\d*[x\\u0445\\u00d7]\\d+\\.?\\d*\\b", ""));

  private static final List<Rule> SPACING_AND_ENDS =
      List.of(
          Rule.of("\\b\\s+:\\s+", ": "),
          Rule.of("(\\D[,./])\\b", "$1 "),
          Rule.of("\\s+", " "),
          Rule.of("^[\"']([\\w\\W]+)[\"']$", "$1"),
          Rule.of("^['_,\\-:;]", ""),
          Rule.of("['_,\\-:+]$", ""),
          Rule.of("^\\.\\S+$", ""));

  /** The prompt as the 1.2 model is given it: {@link #cleanOnce} applied twice. */
  public static String clean(String prompt) {
    return cleanOnce(cleanOnce(prompt));
  }

  /** One pass of the cleaning (see the class comment). */
  public static String cleanOnce(String caption) {
    String c = unquotePlus(caption).strip().toLowerCase(Locale.ROOT);
    c = c.replace("<person>", "person");
    for (Rule r : DROP_URLS_HTML_HANDLES) {
      c = r.apply(c);
    }
    c = htmlText(c);
    for (Rule r : SYMBOLS_AND_IDS) {
      c = r.apply(c);
    }
    Matcher m = DASH_OR_UNDERSCORE.matcher(c);
    int dashes = 0;
    while (m.find()) {
      dashes++;
    }
    if (dashes > 3) {
      c = m.replaceAll(" ");
    }
    c = basicClean(c);
    for (Rule r : CODES_AND_SHOP_PHRASES) {
      c = r.apply(c);
    }
    for (Rule r : SPACING_AND_ENDS) {
      c = r.apply(c);
    }
    return c.strip();
  }

  /** Text repair (see the class comment), HTML entities decoded twice, trimmed. */
  static String basicClean(String text) {
    return unescapeHtml(unescapeHtml(repairText(text))).strip();
  }

  private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
  private static final Pattern CONTROL =
      Pattern.compile("[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f\\u206a-\\u206f\\ufff9-\\ufffc]");

  /** The text-repair subset: see the class comment. */
  static String repairText(String text) {
    String s = TERMINAL_ESCAPE.matcher(text).replaceAll("");
    s = s.replace("\r\n", "\n").replace('\r', '\n');
    s = s.replace('\u2028', '\n').replace('\u2029', '\n').replace('\u0085', '\n');
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            cp -> {
              if (cp >= 0xFF01 && cp <= 0xFF5E) {
                b.appendCodePoint(cp - 0xFF01 + 0x21); // full-width ASCII
              } else if (cp == 0x3000) {
                b.append(' ');
              } else if (cp >= 0xFB00 && cp <= 0xFB06) {
                b.append(
                    Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFKC));
              } else if (cp == 0x2018 || cp == 0x2019 || cp == 0x201A || cp == 0x201B) {
                b.append('\'');
              } else if (cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x201F) {
                b.append('"');
              } else {
                b.appendCodePoint(cp);
              }
            });
    s = CONTROL.matcher(b).replaceAll("");
    return Normalizer.normalize(s, Normalizer.Form.NFC);
  }

  /**
   * URL-decodes as a form value: {@code +} is a space, {@code %XX} runs are UTF-8 bytes (invalid
   * sequences become U+FFFD), a {@code %} not followed by two hex digits stays.
   */
  static String unquotePlus(String s) {
    String t = s.replace('+', ' ');
    StringBuilder out = new StringBuilder(t.length());
    int i = 0;
    while (i < t.length()) {
      if (t.charAt(i) == '%' && hexPair(t, i + 1)) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        while (i < t.length() && t.charAt(i) == '%' && hexPair(t, i + 1)) {
          bytes.write(Integer.parseInt(t.substring(i + 1, i + 3), 16));
          i += 3;
        }
        out.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
      } else {
        out.append(t.charAt(i++));
      }
    }
    return out.toString();
  }

  private static boolean hexPair(String s, int at) {
    return at + 1 < s.length()
        && Character.digit(s.charAt(at), 16) >= 0
        && Character.digit(s.charAt(at + 1), 16) >= 0;
  }

  private static final Pattern TAG =
      Pattern.compile("<!--.*?-->|<![^>]*>|<\\?[^>]*>|</?[a-zA-Z][^<>]*>", Pattern.DOTALL);

  /** The text of an HTML fragment: comments, declarations and tags removed, entities decoded. */
  static String htmlText(String s) {
    return unescapeHtml(TAG.matcher(s).replaceAll(""));
  }

  private static final Pattern ENTITY =
      Pattern.compile("&(#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[a-zA-Z][a-zA-Z0-9]{1,31};?)");

  /** Names also recognised without the semicolon (HTML's legacy entities, of those in NAMED). */
  private static final List<String> LEGACY =
      List.of(
          "amp", "lt", "gt", "quot", "nbsp", "copy", "reg", "laquo", "raquo", "middot", "deg",
          "times", "sect", "para", "pound", "yen", "cent");

  private static final Map<String, String> NAMED =
      Map.ofEntries(
          Map.entry("amp", "&"),
          Map.entry("lt", "<"),
          Map.entry("gt", ">"),
          Map.entry("quot", "\""),
          Map.entry("apos", "'"),
          Map.entry("nbsp", "\u00a0"),
          Map.entry("copy", "\u00a9"),
          Map.entry("reg", "\u00ae"),
          Map.entry("trade", "\u2122"),
          Map.entry("hellip", "\u2026"),
          Map.entry("mdash", "\u2014"),
          Map.entry("ndash", "\u2013"),
          Map.entry("lsquo", "\u2018"),
          Map.entry("rsquo", "\u2019"),
          Map.entry("ldquo", "\u201c"),
          Map.entry("rdquo", "\u201d"),
          Map.entry("laquo", "\u00ab"),
          Map.entry("raquo", "\u00bb"),
          Map.entry("middot", "\u00b7"),
          Map.entry("bull", "\u2022"),
          Map.entry("deg", "\u00b0"),
          Map.entry("times", "\u00d7"),
          Map.entry("euro", "\u20ac"),
          Map.entry("pound", "\u00a3"),
          Map.entry("yen", "\u00a5"),
          Map.entry("cent", "\u00a2"),
          Map.entry("sect", "\u00a7"),
          Map.entry("para", "\u00b6"));

  /**
   * Decodes numeric character references and the common named entities, the legacy ones also
   * without a semicolon (an unknown name stays as written).
   */
  static String unescapeHtml(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    Matcher m = ENTITY.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      String body = m.group(1);
      String rep;
      if (body.startsWith("#")) {
        String digits =
            body.endsWith(";") ? body.substring(1, body.length() - 1) : body.substring(1);
        int cp =
            digits.startsWith("x") || digits.startsWith("X")
                ? Integer.parseInt(digits.substring(1), 16)
                : Integer.parseInt(digits);
        rep =
            cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)
                ? "\ufffd"
                : new String(Character.toChars(cp));
      } else if (body.endsWith(";")) {
        rep = NAMED.get(body.substring(0, body.length() - 1));
      } else {
        rep = null; // the longest legacy name the text starts with, the rest kept
        for (int n = body.length(); n >= 2 && rep == null; n--) {
          if (LEGACY.contains(body.substring(0, n))) {
            rep = NAMED.get(body.substring(0, n)) + body.substring(n);
          }
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(rep == null ? m.group() : rep));
    }
    m.appendTail(out);
    return out.toString();
  }
}
