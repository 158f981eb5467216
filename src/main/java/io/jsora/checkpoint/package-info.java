/**
 * Weights on disk: the safetensors format (read by memory map, written atomically), PyTorch {@code
 * torch.save} state dicts, state dicts as owned collections of tensors, and a strict loader that
 * reports every missing, unexpected and mis-shaped key at once. Model directories in the Hugging
 * Face layout: {@link io.jsora.checkpoint.HfConfig} reads a {@code config.json} with errors naming
 * file and key, {@link io.jsora.checkpoint.HubCache} finds a model id in the local Hugging Face
 * cache (whose roots the caller derives from the environment it is given).
 *
 * <p>May depend on: {@code io.jsora.tensor}, Jackson.
 */
package io.jsora.checkpoint;
