package io.jsora.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@link Profile}'s rows: per module span (its path, e.g. {@code blocks.3.attn.sdpa}), per
 * backward segment ({@code backward.blocks.3}) and per phase remainder ({@code (forward)}), with
 * call counts, total and self seconds summed over {@code steps} steps, and the bytes of the tensors
 * each span returned. The self times add up to {@code wallS}.
 *
 * @param steps steps recorded
 * @param wallS seconds from the profile's start to its end
 * @param entries the rows in first-seen order (a span's children follow it)
 */
public record ProfileTable(
    @JsonProperty("steps") int steps,
    @JsonProperty("wall_s") double wallS,
    @JsonProperty("entries") List<Entry> entries) {
  private static final Pattern BLOCK = Pattern.compile("(^|\\.)blocks\\.\\d+(?=\\.|$)");

  public ProfileTable {
    if (steps < 1) {
      throw new IllegalArgumentException("a profile table needs steps >= 1, got " + steps);
    }
    entries = List.copyOf(entries);
  }

  /**
   * One row.
   *
   * @param path span path, {@code backward.<mark>}, or {@code (<phase>)}
   * @param depth nesting depth of a span (0 at top level)
   * @param calls times entered over all steps
   * @param totalS seconds inside, children included
   * @param selfS seconds inside, children excluded
   * @param outBytes bytes of the tensors returned, summed over the calls
   */
  public record Entry(
      @JsonProperty("path") String path,
      @JsonProperty("depth") int depth,
      @JsonProperty("calls") long calls,
      @JsonProperty("total_s") double totalS,
      @JsonProperty("self_s") double selfS,
      @JsonProperty("out_bytes") long outBytes) {}

  /** The sum of every row's self time (equals {@link #wallS} up to rounding). */
  public double selfSumS() {
    return entries.stream().mapToDouble(Entry::selfS).sum();
  }

  /** The row {@code path}, or null. */
  public Entry entry(String path) {
    for (Entry e : entries) {
      if (e.path().equals(path)) {
        return e;
      }
    }
    return null;
  }

  /**
   * The forward rows with every {@code blocks.<i>} merged into {@code blocks.*} (backward segments
   * stay per block), in first-seen order, the rows of phase remainders and of the profiler last.
   */
  public List<Entry> byModule() {
    Map<String, Entry> m = new LinkedHashMap<>();
    for (Entry e : entries) {
      boolean segment =
          e.path().startsWith(Profile.BACKWARD) && !e.path().startsWith(Profile.RECOMPUTE);
      String key = segment ? e.path() : BLOCK.matcher(e.path()).replaceAll("$1blocks.*");
      m.merge(
          key,
          new Entry(key, e.depth(), e.calls(), e.totalS(), e.selfS(), e.outBytes()),
          ProfileTable::sum);
    }
    List<Entry> out = new ArrayList<>();
    m.values().stream().filter(e -> !e.path().startsWith("(")).forEach(out::add);
    m.values().stream()
        .filter(e -> e.path().startsWith("("))
        .forEach(out::add); // phase remainders and the profiler last
    return out;
  }

  /**
   * The span rows grouped by their last name (the op or module type: linear, sdpa, ...), most self
   * time first.
   */
  public List<Entry> byOp() {
    Map<String, Entry> m = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (e.path().startsWith("(")
          || (e.path().startsWith(Profile.BACKWARD) && !e.path().startsWith(Profile.RECOMPUTE))) {
        continue;
      }
      String p = e.path();
      String key = BLOCK.matcher(p).replaceAll("$1blocks.*");
      key = key.substring(key.lastIndexOf('.') + 1);
      if (key.equals("*")) {
        key = "block";
      }
      m.merge(
          key,
          new Entry(key, 0, e.calls(), e.totalS(), e.selfS(), e.outBytes()),
          ProfileTable::sum);
    }
    List<Entry> out = new ArrayList<>(m.values());
    out.sort(Comparator.comparingDouble(Entry::selfS).reversed());
    return out;
  }

  private static Entry sum(Entry a, Entry b) {
    return new Entry(
        a.path(),
        a.depth(),
        a.calls() + b.calls(),
        a.totalS() + b.totalS(),
        a.selfS() + b.selfS(),
        a.outBytes() + b.outBytes());
  }

  /** Prints the by-module tree and the by-op table, times per step. */
  public void print(String title, PrintWriter out) {
    double step = wallS / steps;
    out.printf(
        Locale.ROOT,
        "%nprofile: %s (%d step%s, %s per step)%n",
        title,
        steps,
        steps == 1 ? "" : "s",
        Report.seconds(step));
    printRows("module / segment", byModule(), true, out);
    out.println();
    printRows("op (spans by last name)", byOp(), false, out);
    out.flush();
  }

  private void printRows(String head, List<Entry> rows, boolean indent, PrintWriter out) {
    int w = head.length();
    for (Entry e : rows) {
      w = Math.max(w, e.path().length() + (indent ? 2 * e.depth() : 0));
    }
    String fmt = "%-" + w + "s  %10s  %12s  %12s  %7s  %12s%n";
    out.printf(
        Locale.ROOT, fmt, head, "calls/step", "total/step", "self/step", "self %", "out/step");
    double step = wallS / steps;
    for (Entry e : rows) {
      String name = (indent ? "  ".repeat(e.depth()) : "") + e.path();
      out.printf(
          Locale.ROOT,
          fmt,
          name,
          e.path().equals(Profile.SELF)
              ? "-"
              : String.format(Locale.ROOT, "%.1f", (double) e.calls() / steps).replace(".0", ""),
          Report.seconds(e.totalS() / steps),
          Report.seconds(e.selfS() / steps),
          String.format(Locale.ROOT, "%.1f%%", 100 * e.selfS() / steps / step),
          e.outBytes() == 0
              ? "-"
              : String.format(Locale.ROOT, "%.2f MiB", e.outBytes() / (double) steps / 1048576.0));
    }
  }
}
