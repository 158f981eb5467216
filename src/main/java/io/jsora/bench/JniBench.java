package io.jsora.bench;

import io.jsora.tensor.Natives;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The fixed cost of one tensor op called from Java: tiny (1-element) tensors, so the arithmetic is
 * negligible and what remains is JNI crossing, dispatcher and handle allocation.
 */
public final class JniBench {
  private JniBench() {}

  public static List<BenchRecord> run(int warmup, int runs) throws Exception {
    Natives.load();
    List<BenchRecord> out = new ArrayList<>();
    int inner = 20_000;
    try (PointerScope scope = new PointerScope()) {
      Tensor a = torch.ones(new long[] {1});
      Tensor b = torch.ones(new long[] {1});
      Scalar one = new Scalar(1.0);
      out.add(
          record(
              "jni_op_new_tensor",
              "a.add(b): returns a new tensor handle, released by a scope every " + inner + " ops",
              inner,
              Stopwatch.time(
                  warmup,
                  runs,
                  1,
                  () -> {
                    try (PointerScope s = new PointerScope()) {
                      for (int i = 0; i < inner; i++) {
                        a.add(b);
                      }
                    }
                  })));
      out.add(
          record(
              "jni_op_closed",
              "a.add(b).close(): handle released at once",
              inner,
              Stopwatch.time(
                  warmup,
                  runs,
                  1,
                  () -> {
                    for (int i = 0; i < inner; i++) {
                      a.add(b).close();
                    }
                  })));
      out.add(
          record(
              "jni_op_inplace",
              "a.add_(one): in place, no new tensor",
              inner,
              Stopwatch.time(
                  warmup,
                  runs,
                  1,
                  () -> {
                    try (PointerScope s = new PointerScope()) {
                      for (int i = 0; i < inner; i++) {
                        a.add_(b);
                      }
                    }
                  })));
      out.add(
          record(
              "jni_item",
              "a.item_float(): read a scalar back",
              inner,
              Stopwatch.time(
                  warmup,
                  runs,
                  1,
                  () -> {
                    for (int i = 0; i < inner; i++) {
                      a.item_float();
                    }
                  })));
      one.close();
    }
    return out;
  }

  private static BenchRecord record(String name, String what, int ops, Timing t) {
    Timing perOp = t.per(ops);
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("op", what);
    cfg.put("ops_per_run", ops);
    return BenchRecord.of(name, cfg, perOp);
  }
}
