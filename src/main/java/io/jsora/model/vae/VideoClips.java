package io.jsora.model.vae;

import java.io.IOException;
import org.bytedeco.pytorch.Tensor;

/**
 * The videos {@code jsora train-vae} learns from and {@code jsora eval-recon} measures: an indexed
 * collection of clips, each {@code float32 [1, 3, T, H, W]} in [-0.5, 0.5] on the CPU.
 */
public interface VideoClips extends AutoCloseable {
  /** Number of clips. */
  int size();

  /** A name for reports (the file name, or {@code shapes-17}). */
  String name(int index);

  /** Clip {@code index}; caller owns the tensor. */
  Tensor clip(int index) throws IOException;

  /** Releases what the source holds (decoded-frame caches); a no-op by default. */
  @Override
  default void close() {}
}
