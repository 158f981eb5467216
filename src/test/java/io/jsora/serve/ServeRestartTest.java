package io.jsora.serve;

import static io.jsora.serve.ServeFixtures.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.serve.ServeFixtures.Http;
import io.jsora.serve.ServeFixtures.TestGenerator;
import io.jsora.tensor.DeviceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jobs survive a restart; SIGTERM stops the command gracefully with exit status 0. */
class ServeRestartTest {
  @TempDir static Path dir;
  static Path ckpt;
  static PipelineGenerator real;

  @BeforeAll
  static void load() throws Exception {
    ckpt = ServeFixtures.checkpoint(dir);
    real = PipelineGenerator.load(ckpt, false, DeviceSpec.CPU, 1);
  }

  @AfterAll
  static void close() {
    if (real != null) {
      real.close();
    }
  }

  private static String status(Path outputs, String id) throws Exception {
    return ServeFixtures.JSON
        .readTree(outputs.resolve("videos").resolve(id).resolve(JobStore.JOB_FILE).toFile())
        .path("status")
        .asText();
  }

  @Test
  void aRestartKeepsCompletedJobsAndRunsQueuedAndInterruptedOnesAgain() throws Exception {
    Path outputs = dir.resolve("restart");
    ServeConfig cfg = ServeFixtures.config(ckpt, outputs);
    cfg =
        new ServeConfig(
            cfg.checkpoint(),
            false,
            DeviceSpec.CPU,
            cfg.host(),
            0,
            outputs,
            8,
            1,
            cfg.token(),
            cfg.corsOrigin(),
            cfg.maxBodyBytes(),
            Duration.ZERO,
            cfg.maxPromptChars(),
            cfg.maxFrames(),
            cfg.maxSide(),
            cfg.maxSteps(),
            cfg.defaultSteps());
    TestGenerator first = new TestGenerator(real);
    String done;
    String running;
    List<String> queued = new ArrayList<>();
    byte[] video;
    try (VideoServer s = VideoServer.start(cfg, first)) {
      Http http = new Http(s.uri());
      JsonNode d =
          http.post("/v1/videos", body("finished before the restart"), "Prefer", "wait=60").json();
      done = d.path("id").asText();
      assertEquals("completed", d.path("status").asText());
      video = http.get("/v1/videos/" + done + "/content").bytes();
      first.gate = new CountDownLatch(1);
      running = http.post("/v1/videos", body("hold interrupted")).json().path("id").asText();
      first.awaitHolding(1);
      for (int i = 0; i < 2; i++) {
        queued.add(
            http.post("/v1/videos", body("queued at the restart " + i)).json().path("id").asText());
      }
    } // grace 0: the running job is stopped and put back in the queue
    assertEquals(
        "queued", status(outputs, running), "the interrupted job is back in the queue on disk");
    assertEquals("queued", status(outputs, queued.get(0)));
    assertEquals("completed", status(outputs, done));
    // a crash (kill -9) mid-run leaves the record saying in_progress: make the interrupted job look
    // so
    Path rec = outputs.resolve("videos").resolve(running).resolve(JobStore.JOB_FILE);
    com.fasterxml.jackson.databind.node.ObjectNode crashed =
        (com.fasterxml.jackson.databind.node.ObjectNode) ServeFixtures.JSON.readTree(rec.toFile());
    crashed
        .put("status", "in_progress")
        .put("progress", 40)
        .put("started_at_ms", System.currentTimeMillis());
    Files.writeString(rec, crashed.toString());
    // debris a crash can leave: a temporary file, an unreadable record, a directory that is no job
    Files.writeString(
        outputs.resolve("videos").resolve(done).resolve(".job.json.123.tmp"), "{\"id\": ");
    Path broken = outputs.resolve("videos").resolve(java.util.UUID.randomUUID().toString());
    Files.createDirectories(broken);
    Files.writeString(broken.resolve(JobStore.JOB_FILE), "{not json");
    Files.createDirectories(outputs.resolve("videos").resolve("not-a-uuid"));

    TestGenerator second = new TestGenerator(real);
    try (VideoServer s = VideoServer.start(cfg, second)) {
      Http http = new Http(s.uri());
      JsonNode d = http.get("/v1/videos/" + done).json();
      assertEquals("completed", d.path("status").asText());
      assertEquals(
          "finished before the restart",
          d.path("params").path("prompt").asText(),
          "parameters kept");
      assertTrue(
          java.util.Arrays.equals(video, http.get("/v1/videos/" + done + "/content").bytes()),
          "the same file is served");
      second.release();
      assertEquals("completed", http.awaitEnd(running).path("status").asText());
      for (String q : queued) {
        assertEquals("completed", http.awaitEnd(q).path("status").asText());
      }
      assertEquals(
          0, second.runs("finished before the restart"), "a completed job is not run again");
      assertEquals(1, second.runs("hold interrupted"));
      assertEquals(1, second.runs("queued at the restart 0"));
      assertEquals(1, first.runs("hold interrupted"));
      assertEquals(
          0,
          first.runs("queued at the restart 1"),
          "queued jobs had not started before the restart");
      JsonNode list = http.get("/v1/videos").json();
      assertEquals(4, list.path("data").size(), "the broken record is skipped: " + list);
      assertEquals(
          queued.get(1),
          list.path("data").get(0).path("id").asText(),
          "newest first survives the restart");
    }
  }

  @Test
  void sigtermFinishesOrRequeuesTheRunningJobAndExitsZero() throws Exception {
    Path outputs = dir.resolve("sigterm");
    Path log = dir.resolve("serve.log");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                javaBin,
                "-Xmx1g",
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "io.jsora.cli.Main",
                "serve",
                "--ckpt",
                ckpt.toString(),
                "--port",
                "0",
                "--outputs",
                outputs.toString(),
                "--device",
                "cpu",
                "--grace",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    try {
      String url = null;
      for (int i = 0; i < 1200 && url == null; i++) {
        Thread.sleep(100);
        var m =
            java.util.regex.Pattern.compile("on (http://127\\.0\\.0\\.1:[0-9]+)")
                .matcher(Files.readString(log));
        url = m.find() ? m.group(1) : null;
        assertTrue(p.isAlive() || url != null, Files.readString(log));
      }
      assertTrue(url != null, "never started: " + Files.readString(log));
      Http http = new Http(java.net.URI.create(url));
      // a long job: 1000 guided steps
      String id =
          http.post(
                  "/v1/videos",
                  "{\"prompt\": \"a long one\", \"num_frames\": 4, \"size\": \"16x16\", \"num_steps\": 1000}")
              .json()
              .path("id")
              .asText();
      for (int i = 0;
          i < 600 && http.get("/v1/videos/" + id).json().path("progress").asInt() < 1;
          i++) {
        Thread.sleep(50);
      }
      assertEquals("in_progress", http.get("/v1/videos/" + id).json().path("status").asText());
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "did not stop");
      assertEquals(0, p.exitValue(), Files.readString(log));
      assertTrue(Files.readString(log).contains("serve: stopped"), Files.readString(log));
      assertEquals("queued", status(outputs, id), "the running job is re-queued on disk");
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
