package io.jsora.data;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * One training batch; owns its tensors (close it, e.g. with try-with-resources). All samples share
 * T, H and W (shape buckets), so nothing is padded except the text.
 *
 * @param rows dataset rows in the batch
 * @param files their video files
 * @param latents {@code [B, C, T', H', W']} float32: cached latents, latents compressed on the fly,
 *     or VQ codes turned into vectors; null when the batch carries pixels or codes instead
 * @param codes {@code [B, T', H', W']} int64 VQ code indices when no embedding was given; else null
 * @param video {@code [B, 3, T, H, W]} float32 pixels in [-0.5, 0.5] when the dataset has no cached
 *     latents and no compressor was given; else null
 * @param text {@code [B, L, D]} float32 text states padded to the longest, or pooled {@code [B, D]}
 * @param textMask {@code [B, L]} int64, 1 for real states, 0 for padding; null when pooled
 * @param dropped videos left out of this batch because they could not be read, with the reason
 */
public record Batch(
    long[] rows,
    List<String> files,
    Tensor latents,
    Tensor codes,
    Tensor video,
    Tensor text,
    Tensor textMask,
    List<String> dropped)
    implements AutoCloseable {
  /** B, the number of samples. */
  public int size() {
    return rows.length;
  }

  @Override
  public void close() {
    for (Tensor t : new Tensor[] {latents, codes, video, text, textMask}) {
      if (t != null && !t.isNull()) {
        t.close();
      }
    }
  }
}
