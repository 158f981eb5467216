package io.jsora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The judge reads back what {@link Synth} drew: independent of the generator's own bookkeeping. */
class SynthJudgeTest {
  @Test
  void readsColourAndDirectionOfEveryRenderedCombination() {
    SynthConfig c = SynthConfig.defaults(72);
    int colourOk = 0;
    int directionOk = 0;
    int shapeOk = 0;
    List<Synth.Clip> clips = Synth.plan(c);
    for (Synth.Clip clip : clips) {
      try (PointerScope s = new PointerScope();
          Tensor frames = Synth.render(clip, c)) {
        SynthJudge.Reading r = SynthJudge.judge(frames, Synth.COLOURS);
        colourOk += r.colour().equals(clip.colour()) ? 1 : 0;
        directionOk += r.direction().equals(clip.direction()) ? 1 : 0;
        shapeOk += r.shape().equals(clip.shape()) ? 1 : 0;
        assertTrue(r.travel() > 5, "fixed starts cross most of the 16-pixel frame: " + r.travel());
      }
    }
    assertEquals(clips.size(), colourOk, "colour");
    assertEquals(clips.size(), directionOk, "direction");
    // shape by box fill is only approximate at 16 px: better than chance (1/3) but not claimed
    assertTrue(shapeOk > clips.size() / 2, "shape " + shapeOk + "/" + clips.size());
  }

  @Test
  void blankAndStillVideos() {
    try (PointerScope s = new PointerScope()) {
      Tensor black = torch.zeros(new long[] {4, 16, 16, 3}).to(torch.ScalarType.Byte);
      SynthJudge.Reading r = SynthJudge.judge(black, Synth.COLOURS);
      assertEquals("none", r.colour());
      assertEquals("still", r.direction());
      SynthJudge.Reading q;
      try (Tensor still =
          Synth.render(
              "square",
              Synth.COLOURS.get("cyan"),
              3.5,
              new double[] {8, 8},
              new double[] {8, 8},
              6,
              16)) {
        q = SynthJudge.judge(still, Synth.COLOURS);
      }
      assertEquals("cyan", q.colour());
      assertEquals("still", q.direction());
      assertEquals(0.0, q.travel(), 1e-6);
    }
  }

  @Test
  void parsesCaptions() {
    assertEquals(
        new SynthJudge.Expected("red", "circle", "left"),
        SynthJudge.parse("a red circle moving left"));
    assertEquals(
        new SynthJudge.Expected("blue", null, "up"),
        SynthJudge.parse("Something BLUE drifting up."));
    assertEquals(new SynthJudge.Expected(null, null, null), SynthJudge.parse("a cat"));
  }

  @Test
  void scoresCountOnlyAttributesThePromptNames() {
    SynthScore score = new SynthScore();
    score.add(
        new SynthScore.Item(
            "a",
            "a red circle moving left",
            SynthJudge.parse("a red circle moving left"),
            new SynthJudge.Reading("red", "left", "circle", 8, 0.78)));
    score.add(
        new SynthScore.Item(
            "b",
            "a green square moving up",
            SynthJudge.parse("a green square moving up"),
            new SynthJudge.Reading("green", "down", "square", 8, 1)));
    score.add(
        new SynthScore.Item(
            "c",
            "something blue",
            SynthJudge.parse("something blue"),
            new SynthJudge.Reading("red", "down", "square", 8, 1)));
    assertEquals(2 / 3.0, score.colourAccuracy(), 1e-12);
    assertEquals(0.5, score.directionAccuracy(), 1e-12);
    assertEquals(0.5, score.colourAndDirectionAccuracy(), 1e-12);
    assertEquals(1.0, score.shapeAccuracy(), 1e-12);
    // all three: only "a" and "b" name them all, and only "a" has all three right
    assertEquals(0.5, score.allAccuracy(), 1e-12);
    SynthScore none = new SynthScore();
    none.add(
        new SynthScore.Item(
            "d",
            "a red circle",
            SynthJudge.parse("a red circle"),
            new SynthJudge.Reading("red", "left", "circle", 8, 0.78)));
    assertTrue(Double.isNaN(none.allAccuracy()), "no prompt names a direction");
  }

  /**
   * The hard task's clips (24 px, random starts): the judge reads colour, direction and shape of
   * every rendered clip, so a generated video's score is the model's, not the judge's.
   */
  @Test
  void readsEveryAttributeOfRandomStartClipsAt24Pixels() {
    SynthConfig c =
        SynthConfig.defaults(144).withSize(24).withStart(SynthConfig.Start.RANDOM).withSeed(5);
    List<Synth.Clip> clips = Synth.plan(c);
    for (Synth.Clip clip : clips) {
      try (PointerScope s = new PointerScope();
          Tensor frames = Synth.render(clip, c)) {
        SynthJudge.Reading r = SynthJudge.judge(frames, Synth.COLOURS);
        String what = clip.caption() + " from " + java.util.Arrays.toString(clip.start());
        assertEquals(clip.colour(), r.colour(), what);
        assertEquals(clip.direction(), r.direction(), what);
        assertEquals(clip.shape(), r.shape(), what + " (fill " + r.fill() + ")");
        double along = Math.abs(clip.end()[0] - clip.start()[0] + clip.end()[1] - clip.start()[1]);
        assertEquals(along, r.travel(), 0.75, what + ": travel read back from the centroids");
      }
    }
  }
}
