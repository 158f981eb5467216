package io.jsora.serve;

import io.jsora.video.VideoWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue and its workers. Each worker takes the oldest queued job, runs it in its own {@link
 * PointerScope} and writes the MP4, thumbnail, sprite sheet and GIF before marking it completed. A
 * job that throws ends {@code failed} and the worker goes on. Cancelling and shutting down work
 * through the progress callback: the next denoising step throws, unwinding the job.
 */
public final class JobRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

  private final JobStore store;
  private final VideoGenerator generator;
  private final int maxQueue;
  private final LinkedBlockingDeque<UUID> queue = new LinkedBlockingDeque<>();
  private final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();
  private final Set<UUID> running = ConcurrentHashMap.newKeySet();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean accepting = true;
  private volatile boolean stopping;
  private volatile boolean requeueRunning;

  /** Thrown from the progress callback to stop a job. */
  private static final class Stop extends RuntimeException {
    Stop() {
      super("stopped", null, false, false);
    }
  }

  /** Starts {@code workers} threads and queues what the store left pending. */
  public JobRunner(JobStore store, VideoGenerator generator, int maxQueue, int workerCount) {
    this.store = store;
    this.generator = generator;
    this.maxQueue = maxQueue;
    store.pending().forEach(j -> queue.add(j.id()));
    for (int i = 0; i < workerCount; i++) {
      Thread t = new Thread(this::work, "jsora-serve-worker-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  /**
   * Records and queues a job.
   *
   * @throws ApiException 429 when {@code maxQueue} jobs are waiting, 503 while shutting down
   */
  public synchronized Job submit(JobParams params) throws IOException {
    if (!accepting) {
      throw new ApiException(
          503,
          "server_error",
          null,
          "shutting_down",
          "the server is shutting down; submit again after it restarts");
    }
    if (queue.size() >= maxQueue) {
      throw new ApiException(
          429,
          "rate_limit_error",
          null,
          "queue_full",
          "the queue is full (" + maxQueue + " jobs waiting); retry later");
    }
    Job j = store.create(params, generator.model().id(), System.currentTimeMillis());
    queue.add(j.id());
    return j;
  }

  /** Jobs waiting. */
  public int queued() {
    return queue.size();
  }

  /** Jobs running now. */
  public int running() {
    return running.size();
  }

  /**
   * Seconds a client should wait before submitting again: the queue's length in jobs, at one per
   * second at least.
   */
  public int retryAfterSeconds() {
    return Math.max(1, queue.size() / Math.max(1, workers.size()));
  }

  /**
   * Cancels a queued or running job (a running one stops at its next denoising step).
   *
   * @return false when it had already ended
   */
  public boolean cancel(UUID id) throws IOException {
    cancelled.add(id);
    if (queue.remove(id)) {
      store.update(
          id,
          j ->
              j.status() == VideoStatus.QUEUED
                  ? j.ended(VideoStatus.CANCELLED, System.currentTimeMillis(), null)
                  : j);
      cancelled.remove(id);
      return true;
    }
    boolean live = store.get(id).map(j -> !j.status().terminal()).orElse(false);
    if (!live) {
      cancelled.remove(id);
    }
    return live;
  }

  private void work() {
    while (!stopping) {
      UUID id;
      try {
        id = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (id == null) {
        continue;
      }
      if (stopping) {
        queue.addFirst(id); // stays queued on disk too
        return;
      }
      run(id);
    }
  }

  private void run(UUID id) {
    Job job;
    running.add(id);
    try {
      Job started =
          store
              .update(
                  id,
                  j -> j.status() == VideoStatus.QUEUED ? j.started(System.currentTimeMillis()) : j)
              .orElse(null);
      if (started == null || started.status() != VideoStatus.IN_PROGRESS) {
        return; // deleted or cancelled while queued
      }
      job = started;
    } catch (IOException e) {
      LOG.error("job {}: cannot record its start: {}", id, e.toString());
      running.remove(id);
      return;
    }
    VideoStatus end;
    Job.JobError error = null;
    try (PointerScope scope = new PointerScope()) {
      Tensor clip =
          generator.generate(
              job.params(),
              (done, total, t) -> {
                if (cancelled.contains(id) || requeueRunning) {
                  throw new Stop();
                }
                store.step(id, done, total);
              }); // (T, H, W, 3)
      writeFiles(id, clip, job.params());
      end = VideoStatus.COMPLETED;
    } catch (Stop s) {
      end = cancelled.contains(id) ? VideoStatus.CANCELLED : VideoStatus.QUEUED;
    } catch (Exception | OutOfMemoryError e) {
      end = VideoStatus.FAILED;
      error = new Job.JobError("generation_failed", describe(e));
      LOG.warn("job {} failed: {}", id, error.message());
    }
    try {
      VideoStatus s = end;
      Job.JobError err = error;
      long now = System.currentTimeMillis();
      store.update(id, j -> s == VideoStatus.QUEUED ? j.queued() : j.ended(s, now, err));
    } catch (IOException e) {
      LOG.error("job {}: cannot record its end ({}): {}", id, end, e.toString());
    } finally {
      cancelled.remove(id);
      running.remove(id);
    }
  }

  /** The variants, each written atomically; the MP4 last, so a completed job has them all. */
  private void writeFiles(UUID id, Tensor clip, JobParams p) throws IOException {
    for (Variant v : Variant.values()) {
      if (v == Variant.VIDEO) {
        continue;
      }
      java.nio.file.Path f = store.file(id, v);
      switch (v) {
        case THUMBNAIL -> io.jsora.video.ContactSheet.writeFrame(f, clip.select(0, 0));
        case SPRITESHEET ->
            io.jsora.video.ContactSheet.write(
                f, clip.unsqueeze(0), List.of(p.prompt()), Math.min(p.numFrames(), 8));
        case GIF -> VideoWriter.writeGif(f, clip, p.fps());
        default -> throw new IllegalStateException("variant " + v);
      }
    }
    VideoWriter.writeMp4(store.file(id, Variant.VIDEO), clip, p.fps());
  }

  /** One line: the message without libtorch's C++ backtrace. */
  static String describe(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName();
    }
    int trace = m.indexOf("\nException raised from");
    String text = (trace >= 0 ? m.substring(0, trace) : m).strip();
    return text.lines().findFirst().orElse(text);
  }

  /**
   * Stops taking jobs, lets running ones finish within {@code grace}, then stops the rest at their
   * next step and puts them back in the queue (on disk: they run after a restart).
   */
  public void shutdown(Duration grace) {
    synchronized (this) {
      accepting = false;
    }
    stopping = true;
    long deadline = System.nanoTime() + grace.toNanos();
    join(deadline);
    if (workers.stream().anyMatch(Thread::isAlive)) {
      LOG.info(
          "{} job(s) still running after the {} s grace period: re-queued",
          running.size(),
          grace.toSeconds());
      requeueRunning = true;
      join(System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
    }
  }

  private void join(long deadline) {
    for (Thread t : workers) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }
}
