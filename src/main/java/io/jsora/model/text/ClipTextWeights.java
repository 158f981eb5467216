package io.jsora.model.text;

import io.jsora.checkpoint.StateDict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Picks the text model out of a CLIP checkpoint. Published CLIP checkpoints hold a whole {@code
 * CLIPModel}: the text tower under {@code text_model.*}, plus the vision tower ({@code
 * vision_model.*}), the two projections, {@code logit_scale}, and, in files written by older
 * versions of the upstream library, the {@code position_ids} buffers (constant {@code 0..N-1},
 * which jsora computes instead). Only the text tower's parameters are used.
 */
public final class ClipTextWeights {
  private ClipTextWeights() {}

  /** The prefix of every text-model parameter, in {@code CLIPModel} and {@code CLIPTextModel}. */
  public static final String PREFIX = "text_model.";

  /** Buffers some checkpoints carry that hold no learned values. */
  static final String POSITION_IDS = "embeddings.position_ids";

  /**
   * The text part of a checkpoint and the names left out; owns the text tensors.
   *
   * @param text tensors under upstream {@code CLIPTextModel} names ({@code text_model.*})
   * @param ignored every name of the checkpoint that was not taken, in checkpoint order
   */
  public record Selection(StateDict text, List<String> ignored) implements AutoCloseable {
    /** One line for logs: ignored names grouped by their first component, with counts. */
    public String describeIgnored() {
      Map<String, List<String>> groups = new TreeMap<>();
      for (String name : ignored) {
        String group =
            name.endsWith(POSITION_IDS)
                ? name
                : name.contains(".") ? name.substring(0, name.indexOf('.')) + ".*" : name;
        groups.computeIfAbsent(group, k -> new ArrayList<>()).add(name);
      }
      StringBuilder b = new StringBuilder();
      groups.forEach(
          (g, names) -> {
            b.append(b.length() == 0 ? "" : ", ");
            if (names.size() == 1) {
              b.append(names.get(0)).append(names.get(0).endsWith(POSITION_IDS) ? " (buffer)" : "");
            } else {
              b.append(g).append(" (").append(names.size()).append(')');
            }
          });
      return ignored.size() + " tensors: " + b;
    }

    @Override
    public void close() {
      text.close();
    }
  }

  /**
   * Moves the text-model tensors out of {@code all} into a new state dict, leaving everything else
   * in {@code all}. A checkpoint with no {@code text_model.} key at all is taken to be a bare text
   * transformer's state dict ({@code embeddings.*}, {@code encoder.*}, {@code final_layer_norm.*})
   * and gets the prefix added.
   */
  public static Selection select(StateDict all) {
    boolean prefixed = all.names().stream().anyMatch(n -> n.startsWith(PREFIX));
    List<String> ignored = new ArrayList<>();
    StateDict text = new StateDict();
    for (String name : new ArrayList<>(all.names())) {
      String key = prefixed ? name : PREFIX + name;
      boolean isText = key.startsWith(PREFIX) && !key.equals(PREFIX + POSITION_IDS);
      if (isText) {
        text.put(key, all.remove(name));
      } else {
        ignored.add(name);
      }
    }
    return new Selection(text, List.copyOf(ignored));
  }

  /** Whether {@code name} (a {@code CLIPModel} state-dict key) belongs to the text model. */
  public static boolean isTextParameter(String name) {
    return name.startsWith(PREFIX) && !name.equals(PREFIX + POSITION_IDS);
  }
}
