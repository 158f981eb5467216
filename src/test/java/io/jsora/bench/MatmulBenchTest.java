package io.jsora.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which element types {@code bench matmul} times by default, from the CPU's flags. */
class MatmulBenchTest {
  private static final String AVX2 =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
          + "flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2\nbugs\t\t: spectre_v1\n\n"
          + "processor\t: 1\nflags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2\n";
  private static final String AVX512_NO_BF16 =
      "flags\t\t: fpu sse2 avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni\n";
  private static final String SAPPHIRE_RAPIDS =
      "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8\n";
  private static final String COOPER_LAKE = "flags\t\t: fpu avx512f avx512_bf16\n";
  private static final String AMX_ONLY = "flags\t\t: fpu amx_tile amx_bf16\n";

  @Test
  void nativeBf16IsReadFromTheFlagsLine() {
    assertFalse(MatmulBench.nativeBf16(AVX2));
    assertFalse(MatmulBench.nativeBf16(AVX512_NO_BF16));
    assertTrue(MatmulBench.nativeBf16(SAPPHIRE_RAPIDS));
    assertTrue(MatmulBench.nativeBf16(COOPER_LAKE));
    assertTrue(MatmulBench.nativeBf16(AMX_ONLY));
    assertFalse(MatmulBench.nativeBf16(""));
    // a flag's name elsewhere (e.g. a model name) or as part of another word does not count
    assertFalse(
        MatmulBench.nativeBf16(
            "model name\t: avx512_bf16 lookalike\nflags\t\t: avx2 xavx512_bf16\n"));
  }

  @Test
  void bf16IsTimedByDefaultOnlyWhereItIsNative() {
    MatmulBench.Defaults avx2 = MatmulBench.defaultDtypes(false, AVX2);
    assertEquals(List.of(DType.F32), avx2.dtypes());
    assertEquals(
        "bf16 skipped: this CPU has no native bf16 (no avx512_bf16 or amx_bf16 flag), so bf16 products are emulated and slow; "
            + "ask for them with --dtypes f32,bf16",
        avx2.note());

    MatmulBench.Defaults spr = MatmulBench.defaultDtypes(false, SAPPHIRE_RAPIDS);
    assertEquals(List.of(DType.F32, DType.BF16), spr.dtypes());
    assertNull(spr.note());

    assertEquals(
        List.of(DType.F32, DType.BF16),
        MatmulBench.defaultDtypes(true, AVX2).dtypes(),
        "CUDA: bf16 whatever the CPU");
    MatmulBench.Defaults unknown = MatmulBench.defaultDtypes(false, "");
    assertEquals(List.of(DType.F32), unknown.dtypes());
    assertTrue(
        unknown.note().startsWith("bf16 skipped: the CPU's flags could not be read"),
        unknown.note());
  }
}
