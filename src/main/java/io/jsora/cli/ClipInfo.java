package io.jsora.cli;

import io.jsora.model.text.ClipTextConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;

/**
 * {@code jsora model info --model clip-text [--config config.json|DIR] [--text-len L]}: the CLIP
 * text model's size, output shapes and cost per caption. Without {@code --config}, {@code
 * openai/clip-vit-base-patch32}.
 */
final class ClipInfo implements ModelInfoKind {
  /** Names {@code --model} accepts for this kind; the last two stand for that model's config. */
  static final Set<String> NAMES =
      Set.of("clip-text", "clip", "openai/clip-vit-base-patch32", "clip-vit-base-patch32");

  @Override
  public boolean accepts(String model) {
    return model != null && NAMES.contains(model.trim().toLowerCase(Locale.ROOT));
  }

  /** The config a preset name stands for. */
  static ClipTextConfig preset(String name) {
    if (name == null || !NAMES.contains(name.trim().toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "clip-text: give --config config.json (or a model directory), or --model openai/clip-vit-base-patch32; got --model "
              + name);
    }
    return ClipTextConfig.clipVitBasePatch32();
  }

  @Override
  public void print(ModelCommand.Info request, PrintWriter out) throws IOException {
    ClipTextConfig c =
        request.config != null
            ? ClipTextConfig.read(request.config)
            : ClipTextConfig.clipVitBasePatch32();
    String source =
        request.config != null ? request.config.toString() : "openai/clip-vit-base-patch32";
    long tokens = Math.max(1, Math.min(request.textLen, c.maxPositionEmbeddings()));
    long params = c.parameterCount();
    out.printf(Locale.ROOT, "model          CLIP text model (%s)%n", source);
    out.printf(Locale.ROOT, "parameters     %,d (%.1fM)%n", params, params / 1e6);
    out.printf(
        Locale.ROOT,
        "architecture   %d layers, width %d, %d heads, MLP %d, %s, LayerNorm eps %s%n",
        c.numHiddenLayers(),
        c.hiddenSize(),
        c.numAttentionHeads(),
        c.intermediateSize(),
        c.hiddenAct(),
        c.layerNormEps());
    out.printf(
        Locale.ROOT,
        "tokens         vocabulary %d, at most %d positions (longer captions are truncated)%n",
        c.vocabSize(),
        c.maxPositionEmbeddings());
    out.printf(
        Locale.ROOT,
        "pooling        %s%n",
        c.legacyPooling()
            ? "state at the largest token id (legacy eos_token_id 2: CLIP's end-of-text id is its largest)"
            : "state at the first eos_token_id " + c.eosTokenId());
    out.printf(
        Locale.ROOT,
        "outputs        last_hidden_state [1, %d, %d], pooler_output [1, %d] per caption of %d tokens%n",
        tokens,
        c.hiddenSize(),
        c.hiddenSize(),
        tokens);
    out.printf(
        Locale.ROOT,
        "forward        %.3f GFLOPs (multiply-adds) per caption of %d tokens%n",
        c.multiplyAdds(tokens) / 1e9,
        tokens);
  }
}
