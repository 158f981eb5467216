package io.jsora.model.osvae;

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
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The full-size pipeline built from the released config declares exactly the keys, shapes and
 * dtypes of upstream's module (golden/osvae/released.keys.json), so {@code
 * hpcai-tech/OpenSora-VAE-v1.2}'s file loads strictly. Built on the {@code meta} device: no weight
 * memory.
 */
class ReleasedKeysTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void releasedPipelineHasUpstreamsKeysAndShapes() throws Exception {
    JsonNode want =
        new ObjectMapper().readTree(Golden.dir().resolve("released.keys.json").toFile());
    Map<String, String> expected = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = want.get("tensors").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      long[] shape = new long[e.getValue().get(1).size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = e.getValue().get(1).get(i).longValue();
      }
      expected.put(e.getKey(), e.getValue().get(0).textValue() + " " + Shapes.format(shape));
    }
    OsVaeConfig c = OsVaeConfig.read(Golden.dir().resolve("released.config.json"));
    try (PointerScope s = new PointerScope();
        Device meta = new Device(DeviceType.Meta);
        OpenSoraVae m =
            new OpenSoraVae(
                c,
                OsVaeFiles.spatialConfig(
                    c.vae2d(),
                    Golden.dir(),
                    io.jsora.checkpoint.HubCache.at(Golden.dir().resolve("no-hub"))),
                meta)) {
      Map<String, String> actual = new TreeMap<>();
      try (StateDict sd = StateDict.of(m)) {
        for (String k : sd.names()) {
          actual.put(
              k, DType.of(sd.get(k)).safetensorsName() + " " + Shapes.format(Shapes.of(sd.get(k))));
        }
      }
      assertEquals(expected.size(), actual.size(), "number of tensors");
      assertEquals(expected, actual);
      assertEquals(want.get("parameters").longValue(), m.parameterCount());
      assertEquals(want.get("temporal_parameters").longValue(), count(m.temporal()));
      assertEquals(
          want.get("spatial_parameters").longValue(), m.spatial().module().parameterCount());
    }
  }

  private static long count(org.bytedeco.pytorch.Module module) {
    long n = 0;
    try (org.bytedeco.pytorch.TensorVector ps = module.parameters()) {
      for (long i = 0; i < ps.size(); i++) {
        try (org.bytedeco.pytorch.Tensor p = ps.get(i)) {
          n += p.numel();
        }
      }
    }
    return n;
  }
}
