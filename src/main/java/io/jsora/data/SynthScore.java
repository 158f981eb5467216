package io.jsora.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy per attribute over judged videos: how often the colour, direction and shape read back
 * from a video equal what its prompt asked for.
 */
public final class SynthScore {
  /** One judged video. */
  public record Item(
      String file, String prompt, SynthJudge.Expected expected, SynthJudge.Reading reading) {
    boolean colourOk() {
      return expected.colour() != null && expected.colour().equals(reading.colour());
    }

    boolean directionOk() {
      return expected.direction() != null && expected.direction().equals(reading.direction());
    }

    boolean shapeOk() {
      // at small sizes a diamond reads as a triangle (both fill half their box)
      String want = "diamond".equals(expected.shape()) ? "triangle" : expected.shape();
      return want != null && want.equals(reading.shape());
    }
  }

  private final List<Item> items = new ArrayList<>();

  public void add(Item item) {
    items.add(item);
  }

  public List<Item> items() {
    return List.copyOf(items);
  }

  /** Fraction correct among items whose prompt names the attribute; NaN when none does. */
  public double colourAccuracy() {
    return rate(items.stream().filter(i -> i.expected().colour() != null).toList(), Item::colourOk);
  }

  public double directionAccuracy() {
    return rate(
        items.stream().filter(i -> i.expected().direction() != null).toList(), Item::directionOk);
  }

  public double shapeAccuracy() {
    return rate(items.stream().filter(i -> i.expected().shape() != null).toList(), Item::shapeOk);
  }

  /** Colour and direction both right. */
  public double colourAndDirectionAccuracy() {
    return rate(
        items.stream()
            .filter(i -> i.expected().colour() != null && i.expected().direction() != null)
            .toList(),
        i -> i.colourOk() && i.directionOk());
  }

  /** Colour, shape and direction all right, among items whose prompt names all three. */
  public double allAccuracy() {
    return rate(
        items.stream()
            .filter(
                i ->
                    i.expected().colour() != null
                        && i.expected().shape() != null
                        && i.expected().direction() != null)
            .toList(),
        i -> i.colourOk() && i.shapeOk() && i.directionOk());
  }

  private static double rate(List<Item> xs, java.util.function.Predicate<Item> ok) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    return xs.stream().filter(ok).count() / (double) xs.size();
  }

  /** The summary as a JSON-friendly map. */
  public Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("videos", items.size());
    m.put("colour_accuracy", colourAccuracy());
    m.put("direction_accuracy", directionAccuracy());
    m.put("shape_accuracy", shapeAccuracy());
    m.put("colour_and_direction_accuracy", colourAndDirectionAccuracy());
    m.put("all_three_accuracy", allAccuracy());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Item i : items) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("file", i.file());
      r.put("prompt", i.prompt());
      r.put("colour", i.reading().colour());
      r.put("direction", i.reading().direction());
      r.put("shape", i.reading().shape());
      r.put("travel_px", Math.round(i.reading().travel() * 100) / 100.0);
      r.put("fill", Math.round(i.reading().fill() * 1000) / 1000.0);
      r.put("colour_ok", i.colourOk());
      r.put("direction_ok", i.directionOk());
      r.put("shape_ok", i.shapeOk());
      rows.add(r);
    }
    m.put("items", rows);
    return m;
  }
}
