package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.UUID;

/**
 * One job as stored in its {@code job.json} (times in milliseconds since the epoch). Immutable:
 * {@link JobStore#update} replaces it.
 *
 * @param id server-made
 * @param seq submission order, for newest-first listing
 * @param status where it is
 * @param progress 0-100 (denoising steps done)
 * @param createdAt submitted
 * @param startedAt began running, or null
 * @param completedAt reached a terminal status, or null
 * @param model the model that serves it
 * @param params the validated settings
 * @param error why it failed, or null
 */
public record Job(
    @JsonProperty("id") UUID id,
    @JsonProperty("seq") long seq,
    @JsonProperty("status") VideoStatus status,
    @JsonProperty("progress") int progress,
    @JsonProperty("created_at_ms") long createdAt,
    @JsonProperty("started_at_ms") Long startedAt,
    @JsonProperty("completed_at_ms") Long completedAt,
    @JsonProperty("model") String model,
    @JsonProperty("params") JobParams params,
    @JsonProperty("error") JobError error) {
  public Job {
    if (id == null || status == null || params == null) {
      throw new IllegalArgumentException("job: id, status and params must be set");
    }
    if (progress < 0 || progress > 100) {
      throw new IllegalArgumentException(
          "job " + id + ": progress must be in 0..100, got " + progress);
    }
  }

  /**
   * Why a job failed.
   *
   * @param code {@code generation_failed}, {@code cancelled}
   * @param message the cause, one line
   */
  public record JobError(
      @JsonProperty("code") String code, @JsonProperty("message") String message) {}

  public Job queued() {
    return new Job(id, seq, VideoStatus.QUEUED, 0, createdAt, null, null, model, params, null);
  }

  public Job started(long now) {
    return new Job(id, seq, VideoStatus.IN_PROGRESS, 0, createdAt, now, null, model, params, null);
  }

  public Job withProgress(int p) {
    return new Job(id, seq, status, p, createdAt, startedAt, completedAt, model, params, error);
  }

  public Job ended(VideoStatus s, long now, JobError e) {
    return new Job(
        id,
        seq,
        s,
        s == VideoStatus.COMPLETED ? 100 : progress,
        createdAt,
        startedAt,
        now,
        model,
        params,
        e);
  }
}
