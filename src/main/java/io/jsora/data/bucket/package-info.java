/**
 * Resolution buckets: training on samples of mixed resolutions, aspect ratios and lengths, each
 * batch from one bucket.
 *
 * <ul>
 *   <li>{@link io.jsora.data.bucket.Resolution}: the named resolutions (144p to 4k) with their
 *       aspect-ratio tables ({@link io.jsora.data.bucket.AspectRatio}), also for sampling at a
 *       named resolution and ratio.
 *   <li>{@link io.jsora.data.bucket.BucketConfig}: the {@code bucket_config} setting, from JSON or
 *       the Python spelling of the reference's config files.
 *   <li>{@link io.jsora.data.bucket.BucketAssigner}: a sample's shape to its {@link
 *       io.jsora.data.bucket.BucketId} or none, seeded draws as the reference's.
 *   <li>{@link io.jsora.data.bucket.BucketBatchSampler}: per rank, batches of one bucket each in a
 *       seeded order, with a position to resume from.
 * </ul>
 *
 * <p>May depend on: {@code io.jsora.config} (the resolution names are a {@code Choice}), Jackson.
 * Nothing native: plain Java.
 */
package io.jsora.data.bucket;
