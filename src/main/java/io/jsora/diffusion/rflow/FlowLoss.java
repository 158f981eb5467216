package io.jsora.diffusion.rflow;

import org.bytedeco.pytorch.Tensor;

/**
 * One training step's rectified-flow loss; the tensors live in the caller's scope.
 *
 * @param loss per-sample mean squared velocity error {@code [B]}, over the generated frames only
 *     when a frame mask was given (average it for the optimizer)
 * @param t the timesteps the model saw, float32 {@code [B]}
 */
public record FlowLoss(Tensor loss, Tensor t) {}
