package io.jsora.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StateDictMismatchException;
import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Declared names and shapes, strict loading, the padding mask, and the text-encoder wrapper. */
class T5EncoderTest {
  @Test
  void fullSizeXxlDeclaresExactlyTheReleasedKeysAndShapesWithoutMemory() throws Exception {
    List<String> want = Files.readAllLines(Golden.T5.resolve("t5-v1_1-xxl-encoder.keys.txt"));
    T5Config xxl = T5Config.read(Golden.T5.resolve("t5-v1_1-xxl.config.json"));
    assertEquals(T5Config.t5v11Xxl(), xxl);
    List<String> got = new ArrayList<>();
    try (T5Encoder model = T5Encoder.declare(xxl, DType.F32);
        PointerScope scope = new PointerScope();
        StateDict sd = model.stateDict()) {
      for (String name : sd.names()) {
        long[] s = Shapes.of(sd.get(name));
        StringBuilder b = new StringBuilder(name).append(' ');
        for (int i = 0; i < s.length; i++) {
          b.append(i == 0 ? "" : ",").append(s[i]);
        }
        got.add(b.toString());
        assertTrue(sd.get(name).is_meta(), name + " is allocated");
      }
    }
    assertEquals(want, got);
    assertEquals(4_762_310_656L, xxl.parameterCount());
  }

  @Test
  void paddingNeitherLeaksIntoRealTokensNorDependsOnPadLength() throws Exception {
    T5Config c = T5Config.read(Golden.TINY);
    try (Device cpu = Devices.cpu();
        T5Encoder model =
            T5Encoder.load(c, Golden.TINY.resolve("model.safetensors"), DType.F32, cpu);
        PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard()) {
      long[] real = {5, 9, 17, 3, 1};
      Tensor alone =
          model.forward(
              Tensors.of(real, 1, 5), Tensors.of(new long[] {1, 1, 1, 1, 1}, 1, 5)); // (1, 5, D)
      long[] padded = {5, 9, 17, 3, 1, 0, 0, 0};
      Tensor withPads =
          model.forward(
              Tensors.of(padded, 1, 8), Tensors.of(new long[] {1, 1, 1, 1, 1, 0, 0, 0}, 1, 8));
      double d = withPads.narrow(1, 0, 5).sub(alone).abs().max().item_double();
      assertTrue(d < 1e-5, "padded vs unpadded: " + d);
      Tensor unmasked = model.forward(Tensors.of(padded, 1, 8), null);
      assertTrue(
          unmasked.narrow(1, 0, 5).sub(alone).abs().max().item_double() > 1e-3,
          "the mask takes effect");
    }
  }

  @Test
  void everyMissingUnexpectedAndMisshapedKeyIsReported(@TempDir Path tmp) throws Exception {
    T5Config c = T5Config.read(Golden.TINY);
    Path bad = tmp.resolve("bad.safetensors");
    try (StateDict sd = SafetensorsFile.read(Golden.TINY.resolve("model.safetensors"));
        PointerScope s = new PointerScope()) {
      sd.remove("encoder.block.1.layer.1.DenseReluDense.wo.weight").close();
      sd.put(
          "encoder.block.0.layer.0.SelfAttention.q.weight", Tensors.of(new float[12 * 15], 12, 15));
      sd.put("encoder.extra.weight", Tensors.of(new float[] {1}, 1));
      sd.put(
          "decoder.block.0.layer.0.SelfAttention.q.weight",
          Tensors.of(new float[] {1}, 1)); // skipped
      SafetensorsWriter.write(bad, sd, Map.of());
    }
    try (Device cpu = Devices.cpu()) {
      StateDictMismatchException e =
          assertThrows(
              StateDictMismatchException.class,
              () -> T5Encoder.load(c, bad, DType.F32, cpu).close());
      assertEquals(
          List.of("encoder.block.1.layer.1.DenseReluDense.wo.weight [16, 24]"), e.missing());
      assertEquals(List.of("encoder.extra.weight [1]"), e.unexpected());
      assertEquals(
          List.of(
              "encoder.block.0.layer.0.SelfAttention.q.weight: model [12, 16], weights [12, 15]"),
          e.mismatched());
      assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    }
  }

  @Test
  void theTiedEmbeddingLoadsFromEitherName(@TempDir Path tmp) throws Exception {
    Path renamed = tmp.resolve("embed_tokens_only.safetensors");
    try (StateDict sd = SafetensorsFile.read(Golden.TINY.resolve("model.safetensors"))) {
      sd.put(T5Weights.EMBED_TOKENS, sd.remove(T5Weights.SHARED));
      SafetensorsWriter.write(renamed, sd, Map.of());
    }
    try (PointerScope s = new PointerScope()) {
      Tensor got = T5EncoderGoldenTest.run(renamed, DType.F32);
      double rel = Golden.maxRelDiff(got, T5EncoderGoldenTest.want("last_hidden_state"));
      assertTrue(rel < 1e-6, "max rel. difference " + rel);
    }
  }

  @Test
  void aShardedIndexNamingAnUnknownKeyFailsBeforeReadingShards(@TempDir Path tmp) throws Exception {
    Path src = Golden.TINY.resolve("sharded-safetensors");
    String index = Files.readString(src.resolve(T5Weights.SAFETENSORS_INDEX));
    Files.writeString(
        tmp.resolve(T5Weights.SAFETENSORS_INDEX),
        index.replace("\"shared.weight\"", "\"shared.weights\""));
    for (Path shard : T5Weights.files(src)) {
      Files.copy(shard, tmp.resolve(shard.getFileName()));
    }
    try (Device cpu = Devices.cpu()) {
      StateDictMismatchException e =
          assertThrows(
              StateDictMismatchException.class,
              () -> T5Encoder.load(T5Config.read(Golden.TINY), tmp, DType.F32, cpu).close());
      assertEquals(List.of("shared.weights"), e.unexpected());
      assertEquals(List.of("shared.weight [40, 16] (or encoder.embed_tokens.weight)"), e.missing());
    }
    Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
    try (Device cpu = Devices.cpu()) {
      Exception e =
          assertThrows(
              java.io.IOException.class,
              () -> T5Encoder.load(T5Config.read(Golden.TINY), tmp, DType.F32, cpu).close());
      assertTrue(
          e.getMessage().contains("model-00002-of-00002.safetensors does not exist"),
          e.getMessage());
    }
  }

  @Test
  void textEncoderPadsToMaxLengthAndReturnsTheMask() throws Exception {
    T5Config c = T5Config.read(Golden.TINY);
    T5Config wide =
        new T5Config(
            300,
            c.dModel(),
            c.dKv(),
            c.dFf(),
            c.numLayers(),
            c.numHeads(),
            c.relativeAttentionNumBuckets(),
            c.relativeAttentionMaxDistance(),
            c.dropoutRate(),
            c.layerNormEpsilon(),
            c.feedForwardProj(),
            c.padTokenId(),
            c.eosTokenId());
    try (Device cpu = Devices.cpu();
        T5TextEncoder enc =
            new T5TextEncoder(
                T5Encoder.create(wide, DType.F32, cpu, 3),
                T5Tokenizer.load(Golden.T5.resolve("spiece")),
                300,
                "tiny");
        PointerScope s = new PointerScope()) {
      List<String> captions =
          List.of("a red fox", "video of city streets at night with cars", "x", "dog", "sky");
      var e = enc.encode(captions);
      assertEquals(
          List.of(5L, 300L, 16L),
          List.of(e.hidden().size(0), e.hidden().size(1), e.hidden().size(2)));
      assertEquals(DType.F32, DType.of(e.hidden()));
      long[] mask = Tensors.toLongs(e.mask());
      try (T5Tokenizer t = T5Tokenizer.load(Golden.T5.resolve("spiece"))) {
        T5Tokenizer.Tokens tok = t.batch(captions, 300);
        assertTrue(java.util.Arrays.equals(tok.flatMask(), mask));
        // a caption's states are those of a batch of one: the micro-batch split changes nothing
        try (NoGradGuard g = new NoGradGuard()) {
          Tensor one =
              enc.model()
                  .forward(Tensors.of(tok.ids()[4], 1, 300), Tensors.of(tok.mask()[4], 1, 300));
          assertTrue(one.sub(e.hidden().narrow(0, 4, 1)).abs().max().item_double() < 1e-6);
          long eos = java.util.Arrays.stream(tok.mask()[4]).sum() - 1;
          assertTrue(
              one.select(1, eos).sub(e.pooled().narrow(0, 4, 1)).abs().max().item_double() < 1e-6);
        }
      }
      e.close();
    }
  }
}
