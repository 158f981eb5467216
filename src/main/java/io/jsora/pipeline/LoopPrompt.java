package io.jsora.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * A prompt that may change from one loop of a long video to the next, in Open-Sora 1.2's syntax:
 * {@code "|0| a calm sea |2| a storm at sea"} gives loops 0 and 1 the first text and loops 2 on the
 * second. A prompt not starting with {@code |0|} is one text for every loop.
 *
 * @param segments the texts with the loop each starts at: the first at 0, starts increasing
 */
public record LoopPrompt(List<Segment> segments) {
  /** A text and the first loop it is used for. */
  public record Segment(int startLoop, String text) {}

  public LoopPrompt {
    segments = List.copyOf(segments);
    if (segments.isEmpty() || segments.get(0).startLoop() != 0) {
      throw new IllegalArgumentException("a loop prompt needs a first text for loop 0");
    }
    for (int i = 1; i < segments.size(); i++) {
      if (segments.get(i).startLoop() <= segments.get(i - 1).startLoop()) {
        throw new IllegalArgumentException(
            "loop prompt: loop "
                + segments.get(i).startLoop()
                + " follows loop "
                + segments.get(i - 1).startLoop()
                + "; the loops must increase, as in |0| first |2| second");
      }
    }
  }

  /**
   * Parses {@code prompt}: {@code |0| text |k| text ...} (texts trimmed), or any other text as one
   * segment.
   *
   * @throws IllegalArgumentException naming the prompt and the part that is not a loop number
   */
  public static LoopPrompt parse(String prompt) {
    if (!prompt.startsWith("|0|")) {
      return new LoopPrompt(List.of(new Segment(0, prompt)));
    }
    String[] parts = prompt.substring(1).split("\\|", -1); // "0", " text ", "2", " text"
    if (parts.length % 2 != 0) {
      throw new IllegalArgumentException(
          "loop prompt '" + prompt + "': expected |loop| text pairs, the last loop has no text");
    }
    List<Segment> out = new ArrayList<>();
    for (int i = 0; i < parts.length; i += 2) {
      int loop;
      try {
        loop = Integer.parseInt(parts[i].strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "loop prompt '" + prompt + "': '" + parts[i] + "' is not a loop number", e);
      }
      String text = parts[i + 1].strip();
      if (text.isEmpty()) {
        throw new IllegalArgumentException(
            "loop prompt '" + prompt + "': loop " + loop + " has no text");
      }
      out.add(new Segment(loop, text));
    }
    try {
      return new LoopPrompt(out);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + prompt + "': " + e.getMessage(), e);
    }
  }

  /** The text for loop {@code loop}: the last segment starting at or before it. */
  public String at(int loop) {
    String text = segments.get(0).text();
    for (Segment s : segments) {
      if (s.startLoop() <= loop) {
        text = s.text();
      }
    }
    return text;
  }
}
