package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDictMismatchException;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Behaviour around the golden numbers: the pooling rule matters, inputs are checked, loading is
 * strict.
 */
class ClipTextModelTest {
  static final Path GELU = Golden.resource("golden/clip/tiny_text_gelu");

  @Test
  void theLegacyPoolingRuleWouldPickAnotherToken() throws Exception {
    ClipTextConfig first = ClipTextConfig.read(GELU);
    ClipTextConfig legacy =
        new ClipTextConfig(
            first.vocabSize(),
            first.hiddenSize(),
            first.intermediateSize(),
            first.projectionDim(),
            first.numHiddenLayers(),
            first.numAttentionHeads(),
            first.maxPositionEmbeddings(),
            first.hiddenAct(),
            first.layerNormEps(),
            first.attentionDropout(),
            first.padTokenId(),
            first.bosTokenId(),
            ClipTextConfig.LEGACY_EOS_TOKEN_ID);
    try (Device cpu = Devices.cpu();
        ClipTextModel model = ClipTextModel.load(legacy, GELU.resolve("model.safetensors"), cpu);
        Weights.Loaded in = Weights.read(GELU.resolve("inputs.safetensors"));
        Weights.Loaded want = Weights.read(GELU.resolve("outputs.safetensors"));
        PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      ClipTextModel.Output o =
          model.forward(in.tensors().get("input_ids"), in.tensors().get("attention_mask"));
      assertTrue(
          Golden.maxAbsDiff(want.tensors().get("last_hidden_state"), o.lastHiddenState()) < 1e-4);
      assertTrue(
          Golden.maxAbsDiff(want.tensors().get("pooler_output"), o.pooled()) > 0.1,
          "argmax of the ids is not the first end-of-text token in these inputs");
    }
  }

  @Test
  void inputsOutsideTheModelAreRejected() throws Exception {
    try (ClipTextModel model = ClipTextModel.create(ClipTextConfig.read(GELU));
        PointerScope s = new PointerScope()) {
      Tensor tooLong = Tensors.of(new long[13], 1, 13);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> model.forward(tooLong, null));
      assertEquals(
          "input_ids: sequence length 13 outside [1, 12] (max_position_embeddings)",
          e.getMessage());
      Tensor badId = Tensors.of(new long[] {4, 40, 5}, 1, 3);
      e = assertThrows(IllegalArgumentException.class, () -> model.forward(badId, null));
      assertEquals("input_ids: token id 40 outside [0, 40) (vocab_size)", e.getMessage());
      Tensor ids = Tensors.of(new long[] {4, 7, 5}, 1, 3);
      Tensor mask = Tensors.of(new long[] {1, 1}, 1, 2);
      e = assertThrows(IllegalArgumentException.class, () -> model.forward(ids, mask));
      assertTrue(
          e.getMessage().startsWith("attention_mask: expected shape [1, 3]"), e.getMessage());
    }
  }

  @Test
  void wrongCheckpointsFailWithEveryDifferenceListed() throws Exception {
    ClipTextConfig wider =
        ClipTextConfig.fromJson(ClipTextConfig.read(GELU).toJson().put("hidden_size", 36));
    try (Device cpu = Devices.cpu()) {
      StateDictMismatchException e =
          assertThrows(
              StateDictMismatchException.class,
              () -> ClipTextModel.load(wider, GELU.resolve("model.safetensors"), cpu).close());
      assertTrue(
          e.getMessage()
              .startsWith(GELU.resolve("model.safetensors") + ": weights do not match the model"),
          e.getMessage());
      assertTrue(
          e.mismatched()
              .contains(
                  "text_model.embeddings.token_embedding.weight: model [40, 36], weights [40, 24]"),
          e.mismatched().toString());
      ClipTextConfig deeper =
          ClipTextConfig.fromJson(ClipTextConfig.read(GELU).toJson().put("num_hidden_layers", 4));
      e =
          assertThrows(
              StateDictMismatchException.class,
              () -> ClipTextModel.load(deeper, GELU.resolve("model.safetensors"), cpu).close());
      assertEquals(16, e.missing().size());
      assertTrue(
          e.missing().contains("text_model.encoder.layers.3.mlp.fc2.bias [24]"),
          e.missing().toString());
    }
  }

  @Test
  void wholeCheckpointSelectionIgnoresExactlyTheNonTextGroups() throws Exception {
    Path full = Golden.resource("golden/clip/tiny_clip_full/pytorch_model.bin");
    try (Weights.Loaded w = Weights.read(full);
        ClipTextWeights.Selection sel = ClipTextWeights.select(w.tensors())) {
      assertEquals(36, sel.text().size());
      assertTrue(sel.text().names().stream().allMatch(n -> n.startsWith("text_model.")));
      assertEquals(
          "28 tensors: logit_scale, text_model.embeddings.position_ids (buffer), text_projection.weight, "
              + "vision_model.* (23), vision_model.embeddings.position_ids (buffer), visual_projection.weight",
          sel.describeIgnored());
    }
  }
}
