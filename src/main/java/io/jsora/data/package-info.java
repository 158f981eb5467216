/**
 * Training data, from video files and captions to batches on the device.
 *
 * <ul>
 *   <li>Sources: {@link io.jsora.data.CaptionsFile} (the reference's captions JSON/JSONL), {@link
 *       io.jsora.data.MsrVtt} and {@link io.jsora.data.Download} (the MSR-VTT archive, resumable),
 *       {@link io.jsora.data.Synth} (captioned moving shapes as MP4) with {@link
 *       io.jsora.data.SynthJudge} and {@link io.jsora.data.SynthScore} to read generated ones back.
 *   <li>Datasets: {@link io.jsora.data.Preprocessor} turns captions and videos into the Hugging
 *       Face {@code save_to_disk} layout ({@link io.jsora.data.HfDataset}, written by {@link
 *       io.jsora.data.ArrowShardWriter}, text states and optionally cached latents per {@link
 *       io.jsora.data.LatentSpec}); {@link io.jsora.data.ArrowVideoDataset} reads it memory-mapped.
 *   <li>Feeding training: a {@link io.jsora.data.BatchPlan}, {@link io.jsora.data.BucketSampler}
 *       (batches of one stored shape, seeded order) or {@link io.jsora.data.BucketPlan} (resolution
 *       buckets of {@code io.jsora.data.bucket}, each video brought to its bucket by {@link
 *       io.jsora.data.BucketTransform}), {@link io.jsora.data.Loader} (prefetching threads) and
 *       {@link io.jsora.data.Batch}; for the video autoencoders, {@link
 *       io.jsora.data.VideoDirectoryClips} (square clips from a video directory, decoded once) and
 *       {@link io.jsora.data.ClipCrop} (temporal windows).
 *   <li>{@link io.jsora.data.Progress}: what long jobs report to; the command line shows it.
 * </ul>
 *
 * <p>Settings arrive as values ({@link io.jsora.data.PreprocessConfig}, {@link
 * io.jsora.data.SynthConfig}); nothing here reads arguments or environment variables.
 *
 * <p>May depend on: {@code io.jsora.tensor}, {@code io.jsora.checkpoint}, {@code io.jsora.video},
 * {@code io.jsora.model.text} (captions to text states), {@code io.jsora.model.vae} (videos to
 * latents), {@code io.jsora.data.bucket} (bucket assignment and order), Apache Arrow, Jackson.
 */
package io.jsora.data;
