package io.jsora.train;

import java.util.ArrayDeque;

/**
 * Steps, samples and tokens per second over the last {@code window} steps, and the ETA; a progress
 * bar reads its getters.
 */
public final class ThroughputListener implements TrainListener {
  private final int window;
  private final ArrayDeque<long[]> recent = new ArrayDeque<>(); // {nanos, samples, tokens}
  private long maxSteps;
  private long lastStep;
  private long sumNanos;
  private long sumSamples;
  private long sumTokens;

  public ThroughputListener(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("throughput window must be >= 1, got " + window);
    }
    this.window = window;
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    maxSteps = info.maxSteps();
    lastStep = info.startStep();
  }

  @Override
  public void onStep(StepMetrics m) {
    recent.addLast(new long[] {m.nanos(), m.samples(), m.tokens()});
    sumNanos += m.nanos();
    sumSamples += m.samples();
    sumTokens += m.tokens();
    if (recent.size() > window) {
      long[] old = recent.removeFirst();
      sumNanos -= old[0];
      sumSamples -= old[1];
      sumTokens -= old[2];
    }
    lastStep = m.step();
  }

  private double seconds() {
    return sumNanos / 1e9;
  }

  public double stepsPerSecond() {
    return seconds() > 0 ? recent.size() / seconds() : 0;
  }

  public double samplesPerSecond() {
    return seconds() > 0 ? sumSamples / seconds() : 0;
  }

  public double tokensPerSecond() {
    return seconds() > 0 ? sumTokens / seconds() : 0;
  }

  /** Seconds to {@code maxSteps} at the current rate; NaN before the first step. */
  public double etaSeconds() {
    double r = stepsPerSecond();
    return r > 0 ? Math.max(0, maxSteps - lastStep) / r : Double.NaN;
  }
}
