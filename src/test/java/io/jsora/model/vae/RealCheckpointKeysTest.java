package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Models built from the real configurations have exactly the state-dict keys, shapes and dtypes of
 * the upstream modules (lists in golden/), so the real checkpoints load strictly. Built on the
 * {@code meta} device: shapes without memory.
 */
class RealCheckpointKeysTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void vqvaeFromTheHpcaiTechConfigHasVideoGptsKeys() throws Exception {
    VqVaeConfig c = VqVaeConfig.read(Golden.dir("vqvae").resolve("hpcai-tech-vqvae.config.json"));
    assertEquals(VqVaeConfig.hpcaiTech(), c);
    try (PointerScope s = new PointerScope();
        Device meta = new Device(DeviceType.Meta);
        VqVae m = new VqVae(c, meta)) {
      JsonNode want =
          new ObjectMapper()
              .readTree(Golden.dir("vqvae").resolve("hpcai-tech-vqvae.keys.json").toFile());
      assertMatches(want, m);
      assertEquals(want.get("parameters").longValue(), m.parameterCount());
    }
  }

  @Test
  void sdVaeFromTheSdVaeFtMseConfigHasDiffusersKeys() throws Exception {
    SdVaeConfig c = SdVaeConfig.read(Golden.dir("sdvae").resolve("sd-vae-ft-mse.config.json"));
    assertEquals(SdVaeConfig.sdVaeFtMse(), c);
    assertEquals(8, c.spatialFactor());
    try (PointerScope s = new PointerScope();
        Device meta = new Device(DeviceType.Meta);
        AutoencoderKL m = new AutoencoderKL(c, meta)) {
      JsonNode want =
          new ObjectMapper()
              .readTree(Golden.dir("sdvae").resolve("sd-vae-ft-mse.keys.json").toFile());
      assertMatches(want, m);
      assertEquals(want.get("parameters").longValue(), m.parameterCount());
    }
  }

  private static void assertMatches(JsonNode want, Module m) {
    Map<String, String> expected = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = want.get("tensors").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      long[] shape = new long[e.getValue().get(1).size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = e.getValue().get(1).get(i).longValue();
      }
      expected.put(e.getKey(), e.getValue().get(0).textValue() + " " + Shapes.format(shape));
    }
    Map<String, String> actual = new TreeMap<>();
    try (StateDict sd = StateDict.of(m)) {
      for (String k : sd.names()) {
        actual.put(
            k, DType.of(sd.get(k)).safetensorsName() + " " + Shapes.format(Shapes.of(sd.get(k))));
      }
    }
    assertEquals(expected.size(), actual.size(), "number of tensors");
    assertEquals(expected, actual);
    assertArrayEquals(expected.keySet().toArray(), actual.keySet().toArray());
  }
}
