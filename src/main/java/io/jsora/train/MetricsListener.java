package io.jsora.train;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes every {@code every}-th step (and skipped steps) to a {@link MetricsLog}. */
public final class MetricsListener implements TrainListener {
  private final MetricsLog log;
  private final int every;

  public MetricsListener(MetricsLog log, int every) {
    if (every < 1) {
      throw new IllegalArgumentException("metrics interval must be >= 1, got " + every);
    }
    this.log = log;
    this.every = every;
  }

  @Override
  public void onStep(StepMetrics m) throws IOException {
    if (m.step() % every != 0 && !m.skipped()) {
      return;
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", m.step());
    r.put("epoch", m.epoch());
    r.put("loss", finiteOrString(m.loss()));
    r.put("lr", m.lr());
    r.put("grad_norm", finiteOrString(m.gradNorm()));
    if (m.skipped()) {
      r.put("skipped", true);
    }
    r.put("samples", m.samples());
    r.put("tokens", m.tokens());
    r.put("step_seconds", m.nanos() / 1e9);
    m.extra().forEach((k, v) -> r.put(k, finiteOrString(v)));
    r.put("time", System.currentTimeMillis() / 1000.0);
    log.append(r);
  }

  /** JSON has no NaN: write non-finite values as strings ("NaN", "Infinity"). */
  private static Object finiteOrString(double v) {
    return Double.isFinite(v) ? (Object) v : Double.toString(v);
  }
}
