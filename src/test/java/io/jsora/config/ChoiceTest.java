package io.jsora.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.VarianceType;
import io.jsora.model.dit.Arch;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChoiceTest {
  @Test
  void canonicalSpellingsAliasesCaseAndUnderscoresAllParse() {
    assertEquals(Arch.CROSS_ATTN, Arch.parse("cross-attn"));
    assertEquals(Arch.CROSS_ATTN, Arch.parse(" Cross_Attn "));
    assertEquals(BetaSchedule.COSINE, BetaSchedule.parse("squaredcos_cap_v2"));
    assertEquals(Prediction.EPS, Prediction.parse("epsilon"));
    assertEquals(
        VarianceType.LEARNED_RANGE,
        VarianceType.parse("learned_range")); // what checkpoints wrote before
    for (Arch a : Arch.values()) {
      assertEquals(a, Arch.parse(a.id()), "every id parses back to its constant");
    }
  }

  @Test
  void aBadValueNamesItselfAndEveryAllowedSpelling() {
    InvalidChoiceException e =
        assertThrows(InvalidChoiceException.class, () -> Arch.parse("adaln2"));
    assertEquals(
        "'adaln2' is not one of adaln, cross-attn, token-concat, self-cross", e.getMessage());
    assertEquals(List.of("adaln", "cross-attn", "token-concat", "self-cross"), e.allowed());
    assertEquals("adaln2", e.value());
    assertEquals(
        "no value given; expected one of eps, v, x0",
        assertThrows(InvalidChoiceException.class, () -> Prediction.parse(null)).getMessage());
  }
}
