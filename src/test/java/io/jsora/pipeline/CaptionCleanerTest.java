package io.jsora.pipeline;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The 1.2 prompt cleaning against the reference's output (tools/golden/caption_clean.py). */
class CaptionCleanerTest {
  @Test
  void everyGoldenPromptIsCleanedAsTheReferenceCleansIt() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/golden/caption_clean/cases.json")) {
      cases = new ObjectMapper().readTree(in).get("cases");
    }
    List<Executable> checks = new ArrayList<>();
    for (JsonNode c : cases) {
      String prompt = c.get("prompt").asText();
      checks.add(
          () ->
              assertEquals(
                  c.get("once").asText(),
                  CaptionCleaner.cleanOnce(prompt),
                  "one pass of: " + prompt));
      checks.add(
          () ->
              assertEquals(
                  c.get("cleaned").asText(),
                  CaptionCleaner.clean(prompt),
                  "both passes of: " + prompt));
    }
    assertEquals(34, cases.size(), "golden cases");
    assertAll(checks);
  }

  @Test
  void textRepairStraightensWhatTheTextRepairLibraryWould() {
    // full-width letters and space, a ligature, curly single quotes that reach the repair
    assertEquals(
        "abc ! fine", CaptionCleaner.basicClean("\uff41\uff42\uff43\u3000\uff01 \ufb01ne"));
    assertEquals("it's \"x\"", CaptionCleaner.basicClean("it\u201bs \u201ex\u201f"));
    // control characters and a terminal colour escape vanish; line breaks become \n; NFC
    assertEquals(
        "red\nblue caf\u00e9", CaptionCleaner.basicClean("\u001b[31mred\r\nblue\u0007 cafe\u0301"));
    // entities decoded twice (&amp;lt; is "<"), numeric references, unknown names kept
    assertEquals("< A \u00e9 &bogus;", CaptionCleaner.basicClean("&amp;lt; &#65; &#xe9; &bogus;"));
  }

  @Test
  void urlDecodingKeepsWhatIsNotAnEscape() {
    assertEquals("caf\u00e9 a b 100% 5%z", CaptionCleaner.unquotePlus("caf%C3%A9 a+b 100%25 5%z"));
  }
}
