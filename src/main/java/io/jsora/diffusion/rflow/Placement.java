package io.jsora.diffusion.rflow;

/**
 * A {@link MaskGroup} resolved against actual lengths: non-negative starts (after counting from the
 * end and snapping to the alignment) and the length clipped to both tensors.
 *
 * @param refId the reference
 * @param refStart first reference latent frame
 * @param targetStart first latent frame of z
 * @param length frames copied, ≥ 1
 * @param editRatio the mask value of those frames
 */
public record Placement(int refId, int refStart, int targetStart, int length, double editRatio) {}
