package io.jsora.data.bucket;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Puts a sample into a bucket of a {@link BucketConfig}, or into none, by the reference's rule
 * (Open-Sora 1.2's {@code Bucket.get_bucket_id}):
 *
 * <ol>
 *   <li>Resolutions are tried largest first; one is a candidate when the sample's H·W is at least
 *       0.8 of its pixel budget.
 *   <li>An image (one frame) goes to the resolution's 1-frame bucket with that bucket's keep
 *       probability; a resolution without one, or a draw that fails, moves on to the next
 *       resolution.
 *   <li>A video takes the longest bucket with more than {@code t × frameInterval} frames (1-frame
 *       buckets excepted); a bucket with a length probability q is passed over with probability 1 −
 *       q. It is then kept with the bucket's keep probability p (always when p ≥ 1), else the next
 *       resolution is tried.
 *   <li>The size is the resolution's aspect ratio nearest to H / W.
 * </ol>
 *
 * Each decision about bucket {@code i} (its place in {@link BucketConfig#buckets()}) draws from a
 * fresh NumPy {@code default_rng(seed + i)}, the length draw first, so a seed gives the reference's
 * choices. For a dataset, sample {@code n} of epoch {@code e} uses seed {@code samplerSeed + e + n
 * × sizeWithRatios} ({@link #assignAll}), so the buckets are drawn anew each epoch.
 */
public final class BucketAssigner {
  private final BucketConfig config;
  private final int frameInterval;

  /**
   * @param frameInterval the stride at which frames will be read: a video needs more than {@code t
   *     × frameInterval} frames for a {@code t}-frame bucket
   */
  public BucketAssigner(BucketConfig config, int frameInterval) {
    if (frameInterval < 1) {
      throw new IllegalArgumentException("frame interval must be >= 1, got " + frameInterval);
    }
    this.config = config;
    this.frameInterval = frameInterval;
  }

  public BucketConfig config() {
    return config;
  }

  /** The bucket of one sample for the draws seeded by {@code seed} (>= 0), or empty. */
  public Optional<BucketId> assign(SampleShape s, long seed) {
    long area = (long) s.height() * s.width();
    List<BucketConfig.Bucket> all = config.buckets();
    int i = 0;
    while (i < all.size()) {
      Resolution res = all.get(i).resolution();
      int end = i;
      while (end < all.size() && all.get(end).resolution() == res) {
        end++;
      }
      int first = i;
      i = end;
      if (area < res.pixels() * 0.8) {
        continue;
      }
      if (s.numFrames() == 1) {
        for (int j = first; j < end; j++) {
          BucketConfig.Bucket b = all.get(j);
          if (b.numFrames() == 1) {
            if (new Pcg64(seed + j).nextDouble() < b.keep()) {
              return Optional.of(id(b, s));
            }
            break;
          }
        }
        continue;
      }
      int found = -1;
      Pcg64 rng = null;
      for (int j = first; j < end; j++) {
        BucketConfig.Bucket b = all.get(j);
        rng = new Pcg64(seed + j);
        if (b.lengthKeep().isPresent() && rng.nextDouble() > b.lengthKeep().getAsDouble()) {
          continue;
        }
        if (b.numFrames() != 1 && (long) s.numFrames() > (long) b.numFrames() * frameInterval) {
          found = j;
          break;
        }
      }
      if (found < 0) {
        continue;
      }
      BucketConfig.Bucket b = all.get(found);
      if (b.keep() >= 1 || rng.nextDouble() < b.keep()) {
        return Optional.of(id(b, s));
      }
    }
    return Optional.empty();
  }

  /**
   * The buckets of a dataset's samples for epoch {@code epoch} of a sampler seeded {@code
   * samplerSeed}: sample {@code n} is assigned with seed {@code samplerSeed + epoch + n × }{@link
   * BucketConfig#sizeWithRatios()}.
   */
  public List<Optional<BucketId>> assignAll(
      List<SampleShape> samples, long samplerSeed, int epoch) {
    long stride = config.sizeWithRatios();
    List<Optional<BucketId>> out = new ArrayList<>(samples.size());
    for (int n = 0; n < samples.size(); n++) {
      out.add(assign(samples.get(n), samplerSeed + epoch + n * stride));
    }
    return Collections.unmodifiableList(out);
  }

  private static BucketId id(BucketConfig.Bucket b, SampleShape s) {
    return new BucketId(
        b.resolution(), b.numFrames(), b.resolution().closest(s.height(), s.width()));
  }
}
