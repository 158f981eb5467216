package io.jsora.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.diffusion.SamplingProgress;
import io.jsora.tensor.DeviceSpec;
import io.jsora.train.TrainFixtures;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.pytorch.Tensor;

/**
 * A tiny checkpoint, a generator wrapper that counts, holds and fails on cue, and an HTTP client.
 */
final class ServeFixtures {
  private ServeFixtures() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Trains DiT-T/4 (self-cross, raw latents: sizes are multiples of 4) for 2 steps on two 16×16,
   * 4-frame clips.
   */
  static Path checkpoint(Path dir) throws IOException {
    Path dataset = TrainFixtures.dataset(dir, 2, 4, 3);
    try (Trainer t = new Trainer(TrainFixtures.config(dataset, dir.resolve("run"), 2, 2))) {
      return t.run().lastCheckpoint();
    }
  }

  static ServeConfig config(Path ckpt, Path outputs) {
    return ServeConfig.defaults(ckpt, outputs, 0).withDevice(DeviceSpec.CPU);
  }

  /**
   * Wraps the real generator: counts runs per prompt; prompts starting "hold" wait (calling the
   * progress callback, so they can be cancelled) until {@link #release}; prompts starting "fail"
   * throw.
   */
  static final class TestGenerator implements VideoGenerator {
    final VideoGenerator real;
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    volatile CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger holding = new AtomicInteger();

    TestGenerator(VideoGenerator real) {
      this.real = real;
    }

    @Override
    public ModelInfo model() {
      return real.model();
    }

    @Override
    public Tensor generate(JobParams p, SamplingProgress progress) {
      runs.computeIfAbsent(p.prompt(), k -> new AtomicInteger()).incrementAndGet();
      if (p.prompt().startsWith("fail")) {
        throw new IllegalStateException("injected failure for '" + p.prompt() + "'");
      }
      if (p.prompt().startsWith("hold")) {
        holding.incrementAndGet();
        try {
          while (!gate.await(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            progress.onStep(1, p.numSteps() + 1, 0); // throws when cancelled or shut down
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        } finally {
          holding.decrementAndGet();
        }
      }
      return real.generate(p, progress);
    }

    void release() {
      gate.countDown();
    }

    /** Waits until {@code n} jobs are held. */
    void awaitHolding(int n) throws InterruptedException {
      for (int i = 0; i < 3000 && holding.get() < n; i++) {
        Thread.sleep(10);
      }
    }

    int runs(String prompt) {
      AtomicInteger a = runs.get(prompt);
      return a == null ? 0 : a.get();
    }

    @Override
    public void close() {
      // the real generator is the test class's
    }
  }

  /** An HTTP answer. */
  record Reply(int status, java.net.http.HttpHeaders headers, byte[] bytes) {
    String body() {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    JsonNode json() throws IOException {
      return JSON.readTree(bytes);
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  /** A loopback client. */
  static final class Http {
    final URI base;
    final HttpClient client =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String token;

    Http(URI base) {
      this.base = base;
    }

    Reply send(String method, String path, String body, String... headers)
        throws IOException, InterruptedException {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(Duration.ofSeconds(120))
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) {
        b.header("Content-Type", "application/json");
      }
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      for (int i = 0; i < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
      }
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers(), r.body());
    }

    Reply get(String path) throws IOException, InterruptedException {
      return send("GET", path, null);
    }

    Reply post(String path, String body, String... headers)
        throws IOException, InterruptedException {
      return send("POST", path, body, headers);
    }

    /** Polls until the job ends; returns its last object. */
    JsonNode awaitEnd(String id) throws IOException, InterruptedException {
      for (int i = 0; i < 6000; i++) {
        JsonNode v = get("/v1/videos/" + id).json();
        String s = v.path("status").asText();
        if (s.equals("completed") || s.equals("failed") || s.equals("cancelled")) {
          return v;
        }
        Thread.sleep(20);
      }
      throw new AssertionError("job " + id + " did not end");
    }
  }

  /** A small valid body: 4 frames of 16×16, 2 DDIM steps, no guidance. */
  static String body(String prompt) {
    return "{\"prompt\": \""
        + prompt
        + "\", \"num_frames\": 4, \"size\": \"16x16\", \"num_steps\": 2, \"cfg_scale\": 0, \"sampler\": \"ddim\","
        + " \"seed\": 5}";
  }
}
