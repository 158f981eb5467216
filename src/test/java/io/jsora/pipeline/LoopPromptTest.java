package io.jsora.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-loop prompts against a direct reading of upstream's loop expansion. */
class LoopPromptTest {
  /**
   * The oracle: every loop up to {@code loop} written out, each segment repeated until the next
   * one's start (the last until {@code loop + 1}), then element {@code loop} taken.
   */
  private static String expanded(String prompt, int loop) {
    if (!prompt.startsWith("|0|")) {
      return prompt;
    }
    String[] parts = prompt.substring(1).split("\\|", -1);
    List<String> perLoop = new ArrayList<>();
    for (int i = 0; i < parts.length; i += 2) {
      int start = Integer.parseInt(parts[i]);
      int end = i + 2 < parts.length ? Integer.parseInt(parts[i + 2]) : loop + 1;
      for (int k = start; k < end; k++) {
        perLoop.add(parts[i + 1].strip());
      }
    }
    return perLoop.get(loop);
  }

  @Test
  void eachLoopReadsTheTextTheExpansionGives() {
    List<String> prompts =
        List.of(
            "a red ball rolls",
            "|0| a calm sea |2| a storm at sea",
            "|0|dawn|1|noon|3|dusk|4| night ",
            "|0| only one");
    for (String p : prompts) {
      LoopPrompt parsed = LoopPrompt.parse(p);
      for (int loop = 0; loop < 7; loop++) {
        assertEquals(expanded(p, loop), parsed.at(loop), p + " at loop " + loop);
      }
    }
    assertEquals("a storm at sea", LoopPrompt.parse("|0| a calm sea |2| a storm at sea").at(2));
    assertEquals("a calm sea", LoopPrompt.parse("|0| a calm sea |2| a storm at sea").at(1));
  }

  @Test
  void aPromptNotStartingAtLoopZeroIsOneTextKeptAsWritten() {
    LoopPrompt p = LoopPrompt.parse("|1| starts late ");
    assertEquals(1, p.segments().size());
    assertEquals("|1| starts late ", p.at(3));
  }

  @Test
  void malformedLoopPromptsAreRefusedNamingThePart() {
    IllegalArgumentException noText =
        assertThrows(IllegalArgumentException.class, () -> LoopPrompt.parse("|0| a |2|"));
    assertTrue(noText.getMessage().contains("loop 2 has no text"), noText.getMessage());
    IllegalArgumentException unpaired =
        assertThrows(IllegalArgumentException.class, () -> LoopPrompt.parse("|0| a |2"));
    assertTrue(unpaired.getMessage().contains("the last loop has no text"), unpaired.getMessage());
    IllegalArgumentException notNumber =
        assertThrows(IllegalArgumentException.class, () -> LoopPrompt.parse("|0| a |x| b"));
    assertTrue(notNumber.getMessage().contains("'x' is not a loop number"), notNumber.getMessage());
    IllegalArgumentException order =
        assertThrows(IllegalArgumentException.class, () -> LoopPrompt.parse("|0| a |2| b |2| c"));
    assertTrue(order.getMessage().contains("loop 2 follows loop 2"), order.getMessage());
  }

  @Test
  void theRequestAppendsScoresToEachLoopsTextThenCleansIt() {
    Os12Request d =
        Os12Request.defaults(
            List.of("|0| A Calm Sea |1| A STORM"),
            Resolution.parse("144p"),
            AspectRatio.parse("9:16"));
    Os12Request r =
        new Os12Request(
            d.prompts(),
            d.height(),
            d.width(),
            d.numFrames(),
            d.fps(),
            d.seed(),
            d.numSteps(),
            d.cfgScale(),
            6.5,
            null,
            d.references(),
            d.maskStrategy(),
            2,
            d.conditionFrameLength(),
            true);
    assertEquals(CaptionCleaner.clean("A Calm Sea aesthetic score: 6.5."), r.textFor(0, 0));
    assertEquals(CaptionCleaner.clean("A STORM aesthetic score: 6.5."), r.textFor(0, 1));
    assertTrue(r.textFor(0, 1).startsWith("a storm"), r.textFor(0, 1));
  }
}
