/**
 * Weights on disk: the safetensors format (read by memory map, written atomically), PyTorch
 * {@code torch.save} state dicts, state dicts as owned collections of tensors, and a strict loader
 * that reports every missing, unexpected and mis-shaped key at once.
 *
 * <p>May depend on: {@code io.jsora.tensor}, Jackson.
 */
package io.jsora.checkpoint;
