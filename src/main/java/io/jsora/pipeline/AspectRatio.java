package io.jsora.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * The aspect ratios {@code jsora sample} offers for Open-Sora 1.2, named as upstream names them
 * ({@code ASPECT_RATIO_MAP}). Upstream's names are <b>height:width</b>: its table key for {@code
 * 9:16} is 0.56 = H/W, so {@code 9:16} gives 240 × 426 (H × W) at 240p, a landscape video, and
 * {@code 16:9} a portrait one. jsora keeps that meaning so that a command written for upstream
 * gives the same frame.
 */
public enum AspectRatio implements Choice {
  R9_16("9:16"),
  R16_9("16:9"),
  R3_4("3:4"),
  R4_3("4:3"),
  R1_1("1:1");

  private final String id;

  AspectRatio(String id) {
    this.id = id;
  }

  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return List.of();
  }

  @JsonCreator
  public static AspectRatio parse(String s) {
    return Choice.parse(AspectRatio.class, s);
  }

  @Override
  public String toString() {
    return id;
  }
}
