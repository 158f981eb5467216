package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.AdamWConfig;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWOptimizerTest {
  @TempDir Path dir;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static double trainStep(TinyNet net, AdamWOptimizer opt, long step) {
    try (PointerScope s = new PointerScope()) {
      Tensor[] b = TinyNet.batch(step);
      Tensor err = net.forward(b[0]).sub(b[1]);
      Tensor loss = err.mul(err).mean();
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item_double();
    }
  }

  @Test
  void weightDecayTouchesOnlyMatricesAndOneDimensionalParametersStayExact() {
    try (TinyNet net = new TinyNet(1);
        AdamWOptimizer opt =
            AdamWOptimizer.create(net, AdamWConfig.defaults().withLr(0.1).withWeightDecay(0.5));
        StateDict before = StateDict.of(net)) {
      assertEquals(
          List.of(
              List.of("proj.weight", "head.weight"), List.of("scale", "proj.bias", "head.bias")),
          opt.groupNames());
      assertArrayEquals(new double[] {0.5, 0.0}, opt.weightDecays());
      float[] w0 = Tensors.toFloats(before.get("proj.weight"));
      float[] b0 = Tensors.toFloats(before.get("proj.bias"));
      float[] s0 = Tensors.toFloats(before.get("scale"));
      try (PointerScope s = new PointerScope()) {
        // a zero gradient: Adam's update is 0, only the decoupled decay p·(1 − lr·wd) acts
        net.forward(TinyNet.batch(0)[0]).sum().mul(new Scalar(0.0)).backward();
        opt.step();
      }
      try (StateDict after = StateDict.of(net)) {
        float[] w1 = Tensors.toFloats(after.get("proj.weight"));
        for (int i = 0; i < w0.length; i++) {
          assertEquals(w0[i] * 0.95f, w1[i], 1e-7f, "decayed weight " + i);
        }
        assertArrayEquals(b0, Tensors.toFloats(after.get("proj.bias")), 0f);
        assertArrayEquals(s0, Tensors.toFloats(after.get("scale")), 0f);
        assertArrayEquals(
            Tensors.toFloats(before.get("shift")), Tensors.toFloats(after.get("shift")), 0f);
      }
    }
    try (TinyNet net = new TinyNet(1);
        AdamWOptimizer opt = AdamWOptimizer.create(net, AdamWConfig.defaults())) {
      assertEquals(1, opt.groupNames().size(), "no decay: one group");
      assertEquals(List.of(), opt.decayedNames());
      assertArrayEquals(
          new double[] {0.0}, opt.weightDecays(), "libtorch's default decay 0.01 is overridden");
    }
  }

  @Test
  void twoStepsFollowTheAdamWFormulaWithBothBetasInTheirPlace() {
    double lr = 0.01;
    double b1 = 0.8;
    double b2 = 0.95;
    double eps = 1e-3;
    double wd = 0.1;
    try (TinyNet net = new TinyNet(2);
        AdamWOptimizer opt = AdamWOptimizer.create(net, new AdamWConfig(lr, b1, b2, eps, wd))) {
      assertArrayEquals(new double[] {b1, b2}, opt.betas());
      double[] p;
      try (StateDict sd = StateDict.of(net)) {
        p = Tensors.toDoubles(sd.get("head.weight"));
      }
      double[] m = new double[p.length];
      double[] v = new double[p.length];
      for (int step = 1; step <= 2; step++) {
        double[] g;
        try (PointerScope s = new PointerScope()) {
          Tensor[] b = TinyNet.batch(step);
          Tensor err = net.forward(b[0]).sub(b[1]);
          opt.zeroGrad();
          err.mul(err).mean().backward();
          try (StateDict sd = StateDict.of(net)) {
            g = Tensors.toDoubles(sd.get("head.weight").grad());
          }
          opt.step();
        }
        for (int i = 0; i < p.length; i++) {
          p[i] *= 1 - lr * wd;
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          double mHat = m[i] / (1 - Math.pow(b1, step));
          double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, step)) + eps;
          p[i] -= lr * mHat / denom;
        }
      }
      try (StateDict sd = StateDict.of(net)) {
        assertArrayEquals(p, Tensors.toDoubles(sd.get("head.weight")), 1e-6);
      }
    }
  }

  @Test
  void stateRoundTripsExactlyAndTrainingContinuesBitForBit() throws Exception {
    AdamWConfig cfg = AdamWConfig.defaults().withLr(0.02).withWeightDecay(0.01);
    try (TinyNet a = new TinyNet(3);
        AdamWOptimizer oa = AdamWOptimizer.create(a, cfg);
        TinyNet b = new TinyNet(99);
        AdamWOptimizer ob = AdamWOptimizer.create(b, cfg)) {
      for (int step = 0; step < 4; step++) {
        trainStep(a, oa, step);
      }
      try (StateDict state = oa.stateDict(dir);
          StateDict weights = StateDict.of(a)) {
        assertEquals(3 * 5, state.size());
        assertEquals(4, state.get("scale.step").item_long());
        io.jsora.checkpoint.StrictLoader.load(b, weights, "memory");
        ob.loadStateDict(state, "memory", dir);
        try (StateDict again = ob.stateDict(dir)) {
          for (String n : state.names()) {
            assertTrue(state.get(n).equal(again.get(n)), n);
          }
        }
      }
      for (int step = 4; step < 8; step++) {
        assertEquals(trainStep(a, oa, step), trainStep(b, ob, step), 0.0, "loss at step " + step);
      }
      try (StateDict wa = StateDict.of(a);
          StateDict wb = StateDict.of(b)) {
        for (String n : wa.names()) {
          assertTrue(wa.get(n).equal(wb.get(n)), "bit-identical " + n);
        }
      }
      assertEquals(0, java.nio.file.Files.list(dir).count(), "scratch archives removed");
    }
  }

  @Test
  void mismatchedStateIsRefusedWithEveryProblemNamed() throws Exception {
    try (TinyNet a = new TinyNet(3);
        AdamWOptimizer oa = AdamWOptimizer.create(a, AdamWConfig.defaults())) {
      trainStep(a, oa, 0);
      try (StateDict state = oa.stateDict(dir)) {
        state.put("proj.weight.exp_avg", Tensors.of(new float[3], 3));
        state.remove("head.bias.exp_avg_sq").close();
        state.put("extra.step", Tensors.of(new long[] {1}, 1));
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> oa.loadStateDict(state, "opt.safetensors", dir));
        String m = e.getMessage();
        assertTrue(m.startsWith("opt.safetensors: "), m);
        assertTrue(m.contains("proj.weight.exp_avg: parameter [4, 3], state [3]"), m);
        assertTrue(
            m.contains("head.bias: needs step, exp_avg and exp_avg_sq together, found 2 of 3"), m);
        assertTrue(m.contains("unexpected entry extra.step [1]"), m);
      }
    }
    try (TinyNet a = new TinyNet(3);
        AdamWOptimizer fresh = AdamWOptimizer.create(a, AdamWConfig.defaults());
        StateDict empty = new StateDict()) {
      fresh.loadStateDict(empty, "fresh", dir); // no state at all: a never-stepped optimizer
      try (StateDict again = fresh.stateDict(dir)) {
        assertEquals(0, again.size());
      }
    }
  }
}
