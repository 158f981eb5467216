package io.jsora.testing;

import io.jsora.tensor.Devices;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Enables {@link GpuTest}s only where a CUDA device is usable, and says so when skipping. */
public final class RequiresGpu implements ExecutionCondition {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (Devices.cudaAvailable()) {
      return ConditionEvaluationResult.enabled("CUDA device present");
    }
    String what = context.getDisplayName();
    System.out.println(
        "SKIPPED (no GPU): " + what + " needs a CUDA device and the GPU build (-Pcuda)");
    return ConditionEvaluationResult.disabled(
        "no CUDA device: GPU test skipped (build with -Pcuda on a GPU machine)");
  }
}
