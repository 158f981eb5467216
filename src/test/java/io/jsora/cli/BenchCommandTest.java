package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks the shape of what benchmarks report; never the times. */
class BenchCommandTest {
  @TempDir Path dir;

  @Test
  void matmulWritesOneRecordPerSizeAndDtype() throws Exception {
    Path json = dir.resolve("m.json");
    Cli r = Cli.run("bench", "matmul", "--sizes", "32,64", "--dtypes", "f32", "--runs", "2", "--warmup", "0", "--device", "cpu", "--json", json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("matmul_f32_64"), r.out());
    JsonNode records = new ObjectMapper().readTree(json.toFile());
    assertEquals(2, records.size());
    JsonNode first = records.get(0);
    assertEquals("matmul_f32_32", first.get("name").asText());
    assertEquals(32, first.get("config").get("n").asInt());
    for (String f : new String[] {"median_s", "min_s", "max_s", "tflops"}) {
      assertTrue(first.get(f).asDouble() > 0, f);
    }
    assertTrue(first.get("min_s").asDouble() <= first.get("median_s").asDouble());
    assertTrue(first.get("median_s").asDouble() <= first.get("max_s").asDouble());
  }

  @Test
  void jniReportsPerOpFigures() {
    Cli r = Cli.run("bench", "jni", "--runs", "1", "--warmup", "0");
    assertEquals(0, r.code(), r.err());
    for (String n : new String[] {"jni_op_new_tensor", "jni_op_closed", "jni_op_inplace", "jni_item"}) {
      assertTrue(r.out().contains(n), r.out());
    }
  }
}
