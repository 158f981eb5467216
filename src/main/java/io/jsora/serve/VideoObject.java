package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A job as the API shows it: OpenAI's video object (times in Unix seconds) plus {@code params},
 * {@code queue_seconds} and {@code run_seconds}.
 */
public record VideoObject(
    @JsonProperty("id") String id,
    @JsonProperty("object") String object,
    @JsonProperty("model") String model,
    @JsonProperty("status") VideoStatus status,
    @JsonProperty("progress") int progress,
    @JsonProperty("created_at") long createdAt,
    @JsonProperty("started_at") Long startedAt,
    @JsonProperty("completed_at") Long completedAt,
    @JsonProperty("prompt") String prompt,
    @JsonProperty("size") String size,
    @JsonProperty("seconds") String seconds,
    @JsonProperty("fps") double fps,
    @JsonProperty("seed") long seed,
    @JsonProperty("params") JobParams params,
    @JsonProperty("queue_seconds") Double queueSeconds,
    @JsonProperty("run_seconds") Double runSeconds,
    @JsonProperty("error") Job.JobError error) {

  public static VideoObject of(Job j) {
    JobParams p = j.params();
    Double queue = j.startedAt() == null ? null : (j.startedAt() - j.createdAt()) / 1000.0;
    Double run =
        j.startedAt() == null || j.completedAt() == null
            ? null
            : (j.completedAt() - j.startedAt()) / 1000.0;
    return new VideoObject(
        j.id().toString(),
        "video",
        j.model(),
        j.status(),
        j.progress(),
        j.createdAt() / 1000,
        seconds(j.startedAt()),
        seconds(j.completedAt()),
        p.prompt(),
        p.size(),
        trim(p.seconds()),
        p.fps(),
        p.seed(),
        p,
        queue,
        run,
        j.error());
  }

  private static Long seconds(Long ms) {
    return ms == null ? null : ms / 1000;
  }

  /** OpenAI sends seconds as a string; up to three decimals here. */
  private static String trim(double s) {
    String t = String.format(java.util.Locale.ROOT, "%.3f", s);
    return t.replaceFirst("\\.?0+$", "");
  }
}
