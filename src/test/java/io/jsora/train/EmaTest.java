package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.DType;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmaTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private static void setAll(TinyNet net, double v) {
    try (PointerScope s = new PointerScope();
        NoGradGuard g = new NoGradGuard();
        StateDict sd = StateDict.of(net)) {
      for (String n :
          new String[] {"proj.weight", "proj.bias", "scale", "head.weight", "head.bias"}) {
        sd.get(n).fill_(new Scalar(v));
      }
    }
  }

  @Test
  void averageFollowsTheClosedFormAndStaysFp32() {
    double d = 0.9;
    try (TinyNet net = new TinyNet(1)) {
      net.to(ScalarType.BFloat16, false);
      setAll(net, 1.0);
      try (Ema ema = Ema.of(net, d)) {
        double[] values = {2.0, -1.0, 0.5, 4.0};
        double expected = 1.0;
        for (double v : values) {
          setAll(net, v);
          ema.update();
          expected = d * expected + (1 - d) * v;
        }
        // closed form: d^n·e0 + (1−d)·Σ d^(n−k)·p_k
        double closed = Math.pow(d, 4) * 1.0;
        for (int k = 0; k < 4; k++) {
          closed += (1 - d) * Math.pow(d, 3 - k) * values[k];
        }
        assertEquals(expected, closed, 1e-12);
        try (StateDict sd = ema.stateDict()) {
          assertEquals(5, sd.size());
          for (String n : sd.names()) {
            assertEquals(
                DType.F32,
                DType.of(sd.get(n)),
                "shadow of " + n + " is fp32 while the model is bf16");
            for (float f : Tensors.toFloats(sd.get(n))) {
              assertEquals(closed, f, 1e-6, n);
            }
          }
        }
        ema.update(0.0);
        try (StateDict sd = ema.stateDict()) {
          assertEquals(
              4.0, Tensors.toFloats(sd.get("scale"))[0], 0, "decay 0 copies the parameters");
        }
      }
    }
  }

  @Test
  void swapPutsTheAverageInAndTheTrainedWeightsBack() throws Exception {
    try (TinyNet net = new TinyNet(1)) {
      setAll(net, 1.0);
      try (Ema ema = Ema.of(net, 0.5)) {
        setAll(net, 3.0);
        ema.update(); // 2.0
        try (Ema.Swap s = ema.swapInto(net);
            StateDict in = StateDict.of(net)) {
          assertEquals(2.0f, Tensors.toFloats(in.get("head.weight"))[0], 0f);
          assertEquals(0.25f, Tensors.toFloats(in.get("shift"))[0], 0f, "buffers untouched");
        }
        try (StateDict back = StateDict.of(net)) {
          assertEquals(3.0f, Tensors.toFloats(back.get("head.weight"))[0], 0f);
        }
        // state round trip into another EMA, and a clear error for a different model
        try (TinyNet other = new TinyNet(7);
            Ema e2 = Ema.of(other, 0.5);
            StateDict sd = ema.stateDict()) {
          e2.load(sd, "ema.safetensors");
          try (StateDict a = ema.stateDict();
              StateDict b = e2.stateDict()) {
            for (String n : a.names()) {
              assertTrue(a.get(n).equal(b.get(n)), n);
            }
          }
          sd.remove("scale").close();
          sd.put("head.bias", Tensors.of(new float[3], 3));
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, () -> e2.load(sd, "ema.safetensors"));
          assertTrue(
              e.getMessage().contains("missing scale")
                  && e.getMessage().contains("head.bias: model [2], EMA [3]"),
              e.getMessage());
        }
      }
    }
  }
}
