package io.jsora.serve;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs in memory and on disk: {@code OUTPUTS/videos/<uuid>/job.json} beside the job's files, each
 * status change written atomically (progress within a run is not written). Opening a directory
 * keeps completed, failed and cancelled jobs and puts queued and interrupted ones back in the
 * queue.
 */
public final class JobStore {
  /** The job's record in its directory. */
  public static final String JOB_FILE = "job.json";

  private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final ConcurrentHashMap<UUID, Entry> jobs = new ConcurrentHashMap<>();
  private final AtomicLong seq = new AtomicLong();

  /** What a listener hears: a status change (the whole object) or a denoising step. */
  public sealed interface Event permits Event.Status, Event.Step {
    /** The job changed status; {@code video} is its new state. */
    record Status(VideoObject video) implements Event {}

    /** Denoising step {@code step} of {@code total} is done. */
    record Step(int step, int total, int progress) implements Event {}
  }

  private static final class Entry {
    volatile Job job;
    final CopyOnWriteArrayList<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    final CompletableFuture<Job> done = new CompletableFuture<>();

    Entry(Job job) {
      this.job = job;
    }
  }

  private JobStore(Path root) {
    this.root = root;
  }

  /**
   * Opens (or creates) the store under {@code outputs}.
   *
   * @return the store; {@link #pending()} lists what must run again
   */
  public static JobStore open(Path outputs) throws IOException {
    JobStore s = new JobStore(outputs.resolve("videos"));
    Files.createDirectories(s.root);
    try (Stream<Path> dirs = Files.list(s.root)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        Optional<UUID> id = Ids.parse(d.getFileName().toString());
        Path f = d.resolve(JOB_FILE);
        if (id.isEmpty() || !Files.isRegularFile(f)) {
          continue; // not a job directory (or one whose record was never written): left alone
        }
        Job j;
        try {
          j = JSON.readValue(f.toFile(), Job.class);
        } catch (IOException | RuntimeException e) {
          LOG.warn("{}: unreadable, skipped: {}", f, e.getMessage());
          continue;
        }
        if (!j.id().equals(id.get())) {
          LOG.warn("{}: records id {}, not its directory's; skipped", f, j.id());
          continue;
        }
        if (!j.status().terminal()) {
          j = j.queued(); // interrupted: runs again from the start
          s.write(j);
        } else if (j.status() == VideoStatus.COMPLETED
            && !Files.isRegularFile(d.resolve(Variant.VIDEO.file()))) {
          j =
              j.ended(
                  VideoStatus.FAILED,
                  j.completedAt(),
                  new Job.JobError("files_missing", Variant.VIDEO.file() + " is missing"));
          s.write(j);
        }
        Entry e = new Entry(j);
        if (j.status().terminal()) {
          e.done.complete(j);
        }
        s.jobs.put(j.id(), e);
        s.seq.accumulateAndGet(j.seq(), Math::max);
      }
    }
    return s;
  }

  /** Queued jobs, oldest first: what a worker should run after a restart. */
  public List<Job> pending() {
    return jobs.values().stream()
        .map(e -> e.job)
        .filter(j -> j.status() == VideoStatus.QUEUED)
        .sorted(Comparator.comparingLong(Job::seq))
        .toList();
  }

  /** Records a new queued job. */
  public Job create(JobParams params, String model, long now) throws IOException {
    Job j =
        new Job(
            Ids.next(),
            seq.incrementAndGet(),
            VideoStatus.QUEUED,
            0,
            now,
            null,
            null,
            model,
            params,
            null);
    write(j);
    jobs.put(j.id(), new Entry(j));
    return j;
  }

  public Optional<Job> get(UUID id) {
    Entry e = jobs.get(id);
    return e == null ? Optional.empty() : Optional.of(e.job);
  }

  /** Every job, newest first. */
  public List<Job> newestFirst() {
    List<Job> all = new ArrayList<>();
    jobs.values().forEach(e -> all.add(e.job));
    all.sort(Comparator.comparingLong(Job::seq).reversed());
    return all;
  }

  /**
   * Replaces a job by {@code change(job)}, writes it, and tells listeners; a no-op for a job that
   * is gone or when {@code change} returns the same job.
   */
  public Optional<Job> update(UUID id, UnaryOperator<Job> change) throws IOException {
    Entry e = jobs.get(id);
    if (e == null) {
      return Optional.empty();
    }
    Job next;
    synchronized (e) {
      Job prev = e.job;
      next = change.apply(prev);
      if (next == prev) {
        return Optional.of(prev);
      }
      if (!next.id().equals(id)) {
        throw new IllegalArgumentException(
            "job " + id + ": an update may not change the id (to " + next.id() + ")");
      }
      if (jobs.get(id) != e) {
        return Optional.empty(); // deleted meanwhile
      }
      write(next);
      e.job = next;
    }
    tell(e, new Event.Status(VideoObject.of(next)));
    if (next.status().terminal()) {
      e.done.complete(next);
    }
    return Optional.of(next);
  }

  /** Records denoising progress in memory (not written) and tells listeners. */
  public void step(UUID id, int step, int total) {
    Entry e = jobs.get(id);
    if (e == null) {
      return;
    }
    int p = (int) Math.min(99, 100L * step / total); // 100 is reached when the files are written
    synchronized (e) {
      if (e.job.status() == VideoStatus.IN_PROGRESS) {
        e.job = e.job.withProgress(p);
      }
    }
    tell(e, new Event.Step(step, total, p));
  }

  /** Completes when the job reaches a terminal status (or is deleted: then with its last state). */
  public CompletableFuture<Job> done(UUID id) {
    Entry e = jobs.get(id);
    return e == null
        ? CompletableFuture.failedFuture(ApiException.notFound("no video " + id))
        : e.done;
  }

  /**
   * Calls {@code listener} with every event of the job from now on, on the thread that makes the
   * event; closing the result stops it.
   */
  public AutoCloseable listen(UUID id, Consumer<Event> listener) {
    Entry e = jobs.get(id);
    if (e == null) {
      return () -> {};
    }
    e.listeners.add(listener);
    return () -> e.listeners.remove(listener);
  }

  /** Forgets the job and removes its directory. */
  public void delete(UUID id) throws IOException {
    Entry e = jobs.remove(id);
    if (e != null) {
      synchronized (e) {
        AtomicFiles.deleteTree(dir(id));
      }
      e.done.complete(e.job);
    }
  }

  /** The job's directory (made from the server's UUID, never from client text). */
  public Path dir(UUID id) {
    return root.resolve(id.toString());
  }

  /** One of the job's files. */
  public Path file(UUID id, Variant v) {
    return dir(id).resolve(v.file());
  }

  private void write(Job j) throws IOException {
    AtomicFiles.writeString(dir(j.id()).resolve(JOB_FILE), JSON.writeValueAsString(j) + "\n");
  }

  private static void tell(Entry e, Event ev) {
    for (Consumer<Event> l : e.listeners) {
      try {
        l.accept(ev);
      } catch (RuntimeException ex) {
        LOG.debug("listener failed: {}", ex.toString());
      }
    }
  }
}
