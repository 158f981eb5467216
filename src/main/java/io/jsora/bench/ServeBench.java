package io.jsora.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.run.TrainConfig;
import io.jsora.serve.PipelineGenerator;
import io.jsora.serve.ServeConfig;
import io.jsora.serve.VideoServer;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The service under load: {@code clients} threads submit {@code jobs} jobs in total to a {@code
 * jsora serve} on loopback and poll each one's status route until it ends. Reports jobs/s, queue
 * wait and the status route's latency (p50, p99); {@link #drive} is also what the load test runs.
 */
public final class ServeBench {
  private ServeBench() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to run.
   *
   * @param checkpoint a checkpoint to serve, or null to make a tiny one from {@code model} and
   *     {@code arch}
   * @param model DiT preset (without a checkpoint)
   * @param arch conditioning architecture (without a checkpoint)
   * @param frames frames per job
   * @param height pixels per job
   * @param width pixels per job
   * @param steps denoising steps per job
   * @param clients concurrent clients
   * @param jobs jobs in total
   * @param maxQueue the server's queue bound
   * @param workers the server's concurrent jobs
   * @param device the device the models run on
   */
  public record Options(
      Path checkpoint,
      String model,
      io.jsora.model.dit.Arch arch,
      int frames,
      int height,
      int width,
      int steps,
      int clients,
      int jobs,
      int maxQueue,
      int workers,
      io.jsora.tensor.DeviceSpec device) {
    public Options {
      if (clients < 1 || jobs < 1 || steps < 1 || maxQueue < 1 || workers < 1) {
        throw new IllegalArgumentException(
            "clients, jobs, steps, max queue and workers must be >= 1, got "
                + clients
                + ", "
                + jobs
                + ", "
                + steps
                + ", "
                + maxQueue
                + ", "
                + workers);
      }
    }
  }

  /**
   * What the clients saw.
   *
   * @param accepted ids the server accepted (202/200), one entry per acceptance
   * @param rejected 429 answers (each retried after {@code backoff})
   * @param finalStatus each accepted id's last status
   * @param statusLatencyS seconds of every status poll
   * @param queueWaitS each finished job's wait in the queue
   * @param wallS from the first submission to the last job's end
   * @param errors anything else unexpected (HTTP errors, timeouts)
   */
  public record Load(
      List<String> accepted,
      int rejected,
      Map<String, String> finalStatus,
      List<Double> statusLatencyS,
      List<Double> queueWaitS,
      double wallS,
      List<String> errors) {}

  /**
   * Runs the clients against {@code base}.
   *
   * @param body the JSON body of job {@code i}
   * @param poll pause between status polls of one job
   * @param backoff pause after a 429 before submitting the same job again
   * @param timeout the whole run's bound; jobs not ended by then are errors
   */
  public static Load drive(
      URI base,
      Optional<String> token,
      int clients,
      int jobs,
      IntFunction<String> body,
      Duration poll,
      Duration backoff,
      Duration timeout)
      throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger rejected = new AtomicInteger();
    List<String> accepted = Collections.synchronizedList(new ArrayList<>());
    Map<String, String> status = new ConcurrentHashMap<>();
    List<Double> latency = Collections.synchronizedList(new ArrayList<>());
    List<Double> wait = Collections.synchronizedList(new ArrayList<>());
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      running.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement();
                    i < jobs && System.nanoTime() < deadline;
                    i = next.getAndIncrement()) {
                  try {
                    String id = null;
                    while (id == null && System.nanoTime() < deadline) {
                      HttpResponse<String> r =
                          http.send(
                              request(base, token, "/v1/videos")
                                  .POST(HttpRequest.BodyPublishers.ofString(body.apply(i)))
                                  .header("Content-Type", "application/json")
                                  .build(),
                              HttpResponse.BodyHandlers.ofString());
                      if (r.statusCode() == 429) {
                        rejected.incrementAndGet();
                        Thread.sleep(backoff.toMillis());
                      } else if (r.statusCode() == 202 || r.statusCode() == 200) {
                        id = JSON.readTree(r.body()).path("id").asText();
                        accepted.add(id);
                      } else {
                        errors.add(
                            "job " + i + ": POST answered " + r.statusCode() + " " + r.body());
                        break;
                      }
                    }
                    if (id == null) {
                      continue;
                    }
                    String s = "queued";
                    JsonNode v = null;
                    while (!(s.equals("completed") || s.equals("failed") || s.equals("cancelled"))
                        && System.nanoTime() < deadline) {
                      Thread.sleep(poll.toMillis());
                      long a = System.nanoTime();
                      HttpResponse<String> r =
                          http.send(
                              request(base, token, "/v1/videos/" + id).GET().build(),
                              HttpResponse.BodyHandlers.ofString());
                      latency.add((System.nanoTime() - a) / 1e9);
                      if (r.statusCode() != 200) {
                        errors.add("job " + id + ": GET answered " + r.statusCode());
                        break;
                      }
                      v = JSON.readTree(r.body());
                      s = v.path("status").asText();
                    }
                    status.put(id, s);
                    if (v != null && v.path("queue_seconds").isNumber()) {
                      wait.add(v.path("queue_seconds").asDouble());
                    }
                  } catch (IOException e) {
                    errors.add("job " + i + ": " + e);
                  }
                }
                return null;
              }));
    }
    pool.shutdown();
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        errors.add("client failed: " + e.getCause());
      }
    }
    return new Load(
        List.copyOf(accepted),
        rejected.get(),
        Map.copyOf(status),
        List.copyOf(latency),
        List.copyOf(wait),
        (System.nanoTime() - t0) / 1e9,
        List.copyOf(errors));
  }

  private static HttpRequest.Builder request(URI base, Optional<String> token, String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  /** The q-quantile (0..1) of {@code xs}, nearest rank. */
  public static double quantile(List<Double> xs, double q) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int rank = (int) Math.ceil(q * s.size());
    return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
  }

  public static List<BenchRecord> run(Options o) throws Exception {
    Natives.load();
    Path work = Files.createTempDirectory("jsora-bench-serve");
    try {
      Path ckpt = o.checkpoint() != null ? o.checkpoint() : makeCheckpoint(o, work);
      ServeConfig cfg =
          ServeConfig.defaults(ckpt, work.resolve("outputs"), 0)
              .withDevice(o.device())
              .withMaxQueue(o.maxQueue());
      cfg =
          new ServeConfig(
              cfg.checkpoint(),
              true,
              cfg.device(),
              cfg.host(),
              cfg.port(),
              cfg.outputs(),
              cfg.maxQueue(),
              o.workers(),
              cfg.token(),
              cfg.corsOrigin(),
              cfg.maxBodyBytes(),
              cfg.grace(),
              cfg.maxPromptChars(),
              cfg.maxFrames(),
              cfg.maxSide(),
              cfg.maxSteps(),
              cfg.defaultSteps());
      Load load;
      long rssBefore;
      long rssAfter;
      try (PipelineGenerator gen = PipelineGenerator.load(ckpt, true, o.device(), o.workers());
          VideoServer server = VideoServer.start(cfg, gen)) {
        IntFunction<String> body =
            i ->
                String.format(
                    java.util.Locale.ROOT,
                    "{\"prompt\": \"a red circle moving left, job %d\", \"num_frames\": %d, \"size\": \"%dx%d\", \"num_steps\": %d, \"cfg_scale\": 0,"
                        + " \"sampler\": \"ddim\", \"seed\": %d}",
                    i,
                    o.frames(),
                    o.width(),
                    o.height(),
                    o.steps(),
                    i);
        // warm-up: one job, untimed
        drive(
            server.uri(),
            Optional.empty(),
            1,
            1,
            body,
            Duration.ofMillis(20),
            Duration.ofMillis(100),
            Duration.ofMinutes(5));
        rssBefore = Memory.residentBytes();
        load =
            drive(
                server.uri(),
                Optional.empty(),
                o.clients(),
                o.jobs(),
                body,
                Duration.ofMillis(100),
                Duration.ofMillis(200),
                Duration.ofMinutes(30));
        rssAfter = Memory.residentBytes();
      }
      if (!load.errors().isEmpty()) {
        throw new IllegalStateException(
            load.errors().size() + " client error(s), the first: " + load.errors().get(0));
      }
      long done = load.finalStatus().values().stream().filter("completed"::equals).count();
      Map<String, Object> c = new LinkedHashMap<>();
      c.put(
          "checkpoint",
          o.checkpoint() == null
              ? "fresh " + o.model() + " " + o.arch().id()
              : o.checkpoint().toString());
      c.put("frames", o.frames());
      c.put("height", o.height());
      c.put("width", o.width());
      c.put("steps", o.steps());
      c.put("clients", o.clients());
      c.put("jobs", o.jobs());
      c.put("max_queue", o.maxQueue());
      c.put("workers", o.workers());
      c.put("device", o.device().toString());
      c.put("threads", Natives.threads());
      Map<String, Object> jobsExtra = new LinkedHashMap<>();
      jobsExtra.put("jobs_per_s", done / load.wallS());
      jobsExtra.put("completed", done);
      jobsExtra.put("rejected_429", load.rejected());
      jobsExtra.put("queue_wait_p50_s", quantile(load.queueWaitS(), 0.5));
      jobsExtra.put("queue_wait_p99_s", quantile(load.queueWaitS(), 0.99));
      jobsExtra.put("rss_before_mib", rssBefore / 1048576.0);
      jobsExtra.put("rss_after_mib", rssAfter / 1048576.0);
      Map<String, Object> latExtra = new LinkedHashMap<>();
      latExtra.put("p50_s", quantile(load.statusLatencyS(), 0.5));
      latExtra.put("p99_s", quantile(load.statusLatencyS(), 0.99));
      latExtra.put("requests", load.statusLatencyS().size());
      List<BenchRecord> out = new ArrayList<>();
      out.add(
          BenchRecord.of(
                  "serve_per_job", c, new Timing(new double[] {load.wallS() / Math.max(1, done)}))
              .withExtra(jobsExtra));
      out.add(
          BenchRecord.of("serve_status_route", c, Timing.of(load.statusLatencyS()))
              .withExtra(latExtra));
      return out;
    } finally {
      io.jsora.checkpoint.AtomicFiles.deleteTree(work);
    }
  }

  private static Path makeCheckpoint(Options o, Path work) throws Exception {
    BenchData.Prepared p;
    try (org.bytedeco.pytorch.Device dev = Devices.resolve(o.device())) {
      p =
          BenchData.prepare(
              work,
              1,
              o.frames(),
              o.height(),
              o.width(),
              io.jsora.model.vae.CompressorKind.RAW,
              null,
              0,
              dev,
              io.jsora.checkpoint.HubCache.NONE);
    }
    TrainConfig cfg =
        TrainConfig.defaults().toBuilder()
            .model(o.model())
            .arch(o.arch())
            .dataset(List.of(p.dataset().toString()))
            .maxSteps(1)
            .batchSize(1)
            .device(o.device())
            .checkpointDir(work.resolve("run").toString())
            .resume(io.jsora.run.ResumeSpec.NONE)
            .logInterval(1_000_000)
            .build();
    try (Trainer t = new Trainer(cfg)) {
      return t.run().lastCheckpoint();
    }
  }
}
