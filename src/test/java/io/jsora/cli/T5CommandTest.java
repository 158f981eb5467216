package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.Weights;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jsora model forward t5} on the tiny upstream golden (tools/golden/t5.py). */
class T5CommandTest {
  static Path tiny() throws Exception {
    return Path.of(T5CommandTest.class.getResource("/golden/t5/tiny").toURI());
  }

  @Test
  void forwardReproducesUpstreamFromShardsAndFromOneFile(@TempDir Path tmp) throws Exception {
    Path dir = tiny();
    for (String weights : new String[] {"model.safetensors", "sharded-bin"}) {
      Path out = tmp.resolve(weights + ".out.safetensors");
      Cli r =
          Cli.run(
              "model",
              "forward",
              "t5",
              "--config",
              dir.resolve("config.json").toString(),
              "--weights",
              dir.resolve(weights).toString(),
              "--inputs",
              dir.resolve("inputs.safetensors").toString(),
              "--output",
              out.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("last_hidden_state [2, 9, 16]"), r.out());
      try (Weights.Loaded got = Weights.read(out);
          Weights.Loaded want = Weights.read(dir.resolve("outputs.safetensors"));
          PointerScope s = new PointerScope()) {
        double d =
            got.tensors()
                .get("last_hidden_state")
                .sub(want.tensors().get("last_hidden_state"))
                .abs()
                .max()
                .item_double();
        assertTrue(d <= 1e-5, weights + ": " + d);
      }
    }
  }

  @Test
  void forwardNeedsTheMask(@TempDir Path tmp) throws Exception {
    Path dir = tiny();
    Cli r =
        Cli.run(
            "model",
            "forward",
            "t5",
            "--config",
            dir.toString(),
            "--weights",
            dir.toString(),
            "--inputs",
            dir.resolve("outputs.safetensors").toString(),
            "--output",
            tmp.resolve("o.safetensors").toString());
    assertNotEquals(0, r.code());
    assertTrue(
        r.err().contains("inputs: expected tensors 'input_ids' and 'attention_mask'"), r.err());
  }
}
