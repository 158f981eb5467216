package io.jsora.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.TorchCheckpointTestAccess;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The encoder against upstream's {@code T5EncoderModel} (transformers 4.33.2 under PyTorch 1.13,
 * tools/golden/t5.py): a tiny seeded gated-GELU config, two rows of which the second is padded.
 */
class T5EncoderGoldenTest {
  static Tensor run(Path weights, DType dtype) throws Exception {
    T5Config c = T5Config.read(Golden.TINY);
    try (Device cpu = Devices.cpu();
        T5Encoder model = T5Encoder.load(c, weights, dtype, cpu);
        Weights.Loaded in = Weights.read(Golden.TINY.resolve("inputs.safetensors"));
        NoGradGuard g = new NoGradGuard()) {
      Tensor out = model.forward(in.tensors().get("input_ids"), in.tensors().get("attention_mask"));
      return out.to(DType.F32.scalarType());
    }
  }

  static Tensor want(String name) throws Exception {
    try (Weights.Loaded w = Weights.read(Golden.TINY.resolve("outputs.safetensors"))) {
      return w.tensors().remove(name);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "model.safetensors",
        "sharded-safetensors/model.safetensors.index.json",
        "sharded-safetensors",
        "sharded-bin/pytorch_model.bin.index.json",
        "sharded-bin"
      })
  void float32MatchesUpstreamFromEveryFileLayout(String weights) throws Exception {
    try (PointerScope s = new PointerScope()) {
      Tensor got = run(Golden.TINY.resolve(weights), DType.F32);
      Tensor want = want("last_hidden_state");
      assertArrayEquals(new long[] {2, 9, 16}, Shapes.of(got));
      double rel = Golden.maxRelDiff(got, want);
      assertTrue(rel < 1e-6, "max rel. difference " + rel);
    }
  }

  /**
   * The released shards are 2-10 GB: one tiny shard rewritten behind 4.5 GiB of (sparse) padding as
   * a ZIP64 archive loads like the original, tensor by tensor.
   */
  @Test
  void aShardBeyondFourGibibytesLoads(@TempDir Path tmp) throws Exception {
    Path src = Golden.TINY.resolve("sharded-bin");
    try (var files = Files.list(src)) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().equals("pytorch_model-00001-of-00003.bin")) {
          TorchCheckpointTestAccess.sparseZip64(f, tmp.resolve(f.getFileName()), 9L << 29);
        } else {
          Files.copy(f, tmp.resolve(f.getFileName()));
        }
      }
    }
    assertTrue(Files.size(tmp.resolve("pytorch_model-00001-of-00003.bin")) > (4L << 30));
    try (PointerScope s = new PointerScope()) {
      Tensor got = run(tmp, DType.F32);
      double rel = Golden.maxRelDiff(got, want("last_hidden_state"));
      assertTrue(rel < 1e-6, "max rel. difference " + rel);
    }
  }

  /**
   * bf16 kernels of libtorch 2.10 and PyTorch 1.13 round differently (about one bf16 step here), so
   * the bf16 path is held to upstream's bf16 output loosely, and must be nearer to it than to fp32.
   */
  @Test
  void bf16FollowsUpstreamCastToBf16() throws Exception {
    try (PointerScope s = new PointerScope()) {
      Tensor got = run(Golden.TINY.resolve("model.safetensors"), DType.BF16);
      Tensor bf16 = want("last_hidden_state_bf16");
      Tensor fp32 = want("last_hidden_state");
      double rel = Golden.maxRelDiff(got, bf16);
      assertTrue(rel < 2e-2, "max rel. difference to upstream bf16 " + rel);
      double toBf16 = meanAbs(got, bf16);
      double toFp32 = meanAbs(got, fp32);
      assertTrue(
          toBf16 < 0.8 * toFp32,
          "mean abs. difference to upstream bf16 " + toBf16 + ", to fp32 " + toFp32);
    }
  }

  @Test
  void relativePositionBucketsEqualUpstream() throws Exception {
    JsonNode j = new ObjectMapper().readTree(Golden.T5.resolve("buckets.json").toFile());
    long[] rel =
        StreamSupport.stream(j.get("relative_positions").spliterator(), false)
            .mapToLong(JsonNode::asLong)
            .toArray();
    for (String[] c : new String[][] {{"xxl", "32", "128"}, {"tiny", "8", "6"}}) {
      long[] want =
          StreamSupport.stream(j.get(c[0]).spliterator(), false)
              .mapToLong(JsonNode::asLong)
              .toArray();
      try (PointerScope s = new PointerScope()) {
        Tensor got =
            T5Attention.relativePositionBucket(
                Tensors.of(rel, rel.length), Integer.parseInt(c[1]), Integer.parseInt(c[2]));
        assertArrayEquals(want, Tensors.toLongs(got), c[0]);
      }
    }
  }

  static double meanAbs(Tensor a, Tensor b) {
    try (PointerScope s = new PointerScope()) {
      return a.sub(b).abs().mean().item_double();
    }
  }
}
