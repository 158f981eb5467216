package io.jsora.data;

import java.util.List;
import java.util.Locale;

/**
 * What {@link Synth} generates: clips of one coloured shape moving in a straight line on a black
 * background, captioned "a red circle moving left".
 *
 * @param count number of clips
 * @param frames frames per clip (the demo uses 8)
 * @param size frame width and height in pixels (the demo uses 16)
 * @param fps frame rate written to the MP4 files
 * @param seed seed of every random choice (the combination order, jittered and random starts)
 * @param start where each motion starts: {@code FIXED} (always the same place per direction, e.g.
 *     the right edge for "left", crossing the whole frame), {@code JITTER} (near it) or {@code
 *     RANDOM} (anywhere the whole path fits)
 * @param colours colour names (see {@link Synth#COLOURS})
 * @param shapes shape names (see {@link Synth#SHAPES})
 * @param directions direction names (see {@link Synth#DIRECTIONS})
 * @param holdOut combinations left out of the set, as {@code colour:shape:direction} patterns where
 *     any part may be {@code *}
 * @param onlyHeldOut generate only the held-out combinations (an evaluation set)
 */
public record SynthConfig(
    int count,
    int frames,
    int size,
    double fps,
    long seed,
    Start start,
    List<String> colours,
    List<String> shapes,
    List<String> directions,
    List<String> holdOut,
    boolean onlyHeldOut) {

  /** Where a motion starts. */
  public enum Start implements io.jsora.config.Choice {
    FIXED,
    JITTER,
    RANDOM;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String id() {
      return label();
    }

    /** Parses {@code fixed}, {@code jitter} or {@code random}. */
    public static Start parse(String name) {
      return io.jsora.config.Choice.parse(Start.class, name);
    }
  }

  public SynthConfig {
    if (count < 1) {
      throw new IllegalArgumentException("count must be >= 1, got " + count);
    }
    if (frames < 1) {
      throw new IllegalArgumentException("frames must be >= 1, got " + frames);
    }
    if (size < 8) {
      throw new IllegalArgumentException(
          "size must be >= 8 pixels (shapes need room to move), got " + size);
    }
    if (!(fps > 0)) {
      throw new IllegalArgumentException("fps must be > 0, got " + fps);
    }
    colours = List.copyOf(colours);
    shapes = List.copyOf(shapes);
    directions = List.copyOf(directions);
    holdOut = List.copyOf(holdOut);
    for (String c : colours) {
      if (!Synth.COLOURS.containsKey(c)) {
        throw new IllegalArgumentException(
            "unknown colour '" + c + "' (expected one of " + Synth.COLOURS.keySet() + ")");
      }
    }
    for (String s : shapes) {
      if (!Synth.SHAPES.contains(s)) {
        throw new IllegalArgumentException(
            "unknown shape '" + s + "' (expected one of " + Synth.SHAPES + ")");
      }
    }
    for (String d : directions) {
      if (!Synth.DIRECTIONS.contains(d)) {
        throw new IllegalArgumentException(
            "unknown direction '" + d + "' (expected one of " + Synth.DIRECTIONS + ")");
      }
    }
    if (colours.isEmpty() || shapes.isEmpty() || directions.isEmpty()) {
      throw new IllegalArgumentException("need at least one colour, shape and direction");
    }
    for (String h : holdOut) {
      if (h.split(":", -1).length != 3) {
        throw new IllegalArgumentException(
            "hold-out pattern '" + h + "': expected colour:shape:direction, e.g. red:circle:* ");
      }
    }
  }

  /**
   * The demo's defaults: 16×16 pixels, 8 frames at 8 fps, fixed starts, 6 colours × 3 shapes × 4
   * directions.
   */
  public static SynthConfig defaults(int count) {
    return new SynthConfig(
        count,
        8,
        16,
        8,
        0,
        Start.FIXED,
        Synth.DEFAULT_COLOURS,
        Synth.DEFAULT_SHAPES,
        Synth.DIRECTIONS,
        List.of(),
        false);
  }

  public SynthConfig withFrames(int f) {
    return new SynthConfig(
        count, f, size, fps, seed, start, colours, shapes, directions, holdOut, onlyHeldOut);
  }

  public SynthConfig withSize(int s) {
    return new SynthConfig(
        count, frames, s, fps, seed, start, colours, shapes, directions, holdOut, onlyHeldOut);
  }

  public SynthConfig withSeed(long s) {
    return new SynthConfig(
        count, frames, size, fps, s, start, colours, shapes, directions, holdOut, onlyHeldOut);
  }

  public SynthConfig withStart(Start s) {
    return new SynthConfig(
        count, frames, size, fps, seed, s, colours, shapes, directions, holdOut, onlyHeldOut);
  }

  public SynthConfig withHoldOut(List<String> h, boolean only) {
    return new SynthConfig(
        count, frames, size, fps, seed, start, colours, shapes, directions, h, only);
  }
}
