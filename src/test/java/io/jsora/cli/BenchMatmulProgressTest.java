package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.bench.MatmulBench;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code jsora bench matmul} prints each size as it completes and says when it leaves bf16 out. */
class BenchMatmulProgressTest {
  @Test
  void eachSizeIsPrintedBeforeTheTable() {
    Cli r =
        Cli.run(
            "bench",
            "matmul",
            "--sizes",
            "16,32",
            "--dtypes",
            "f32",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err());
    String out = r.out();
    int first = out.indexOf("matmul_f32_16: ");
    int second = out.indexOf("matmul_f32_32: ");
    assertTrue(first >= 0 && second > first, out);
    assertTrue(
        Pattern.compile("matmul_f32_32: [0-9.]+ TFLOP/s \\(median [0-9.]+ ms\\)\n")
            .matcher(out)
            .find(),
        out);
    // then the table, which names each record again
    assertTrue(out.indexOf("matmul_f32_32", second + 1) > second, out);
  }

  @Test
  void theDefaultDtypesFollowThisCpu() {
    Cli r =
        Cli.run(
            "bench", "matmul", "--sizes", "8", "--runs", "1", "--warmup", "0", "--device", "cpu");
    assertEquals(0, r.code(), r.err());
    boolean bf16 = MatmulBench.nativeBf16(MatmulBench.cpuinfo());
    assertEquals(bf16, r.out().contains("matmul_bf16_8: "), r.out());
    assertEquals(!bf16, r.out().contains("bf16 skipped: "), r.out());
    assertTrue(r.out().contains("matmul_f32_8: "), r.out());
  }
}
