package io.jsora.serve;

import static io.jsora.serve.ServeFixtures.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.serve.ServeFixtures.Http;
import io.jsora.serve.ServeFixtures.Reply;
import io.jsora.serve.ServeFixtures.TestGenerator;
import io.jsora.tensor.DeviceSpec;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The /v1/videos API on a tiny checkpoint, through real HTTP on loopback. */
class ServeApiTest {
  @TempDir static Path dir;
  static PipelineGenerator real;
  static TestGenerator gen;
  static VideoServer server;
  static Http http;
  static Path outputs;
  static final int MAX_QUEUE = 2;

  @BeforeAll
  static void start() throws Exception {
    Path ckpt = ServeFixtures.checkpoint(dir);
    real = PipelineGenerator.load(ckpt, true, DeviceSpec.CPU, 1);
    gen = new TestGenerator(real);
    outputs = dir.resolve("outputs");
    server = VideoServer.start(ServeFixtures.config(ckpt, outputs).withMaxQueue(MAX_QUEUE), gen);
    http = new Http(server.uri());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      gen.release();
      server.close();
    }
    if (real != null) {
      real.close();
    }
  }

  private static JsonNode submitAndWait(String prompt) throws Exception {
    Reply r = http.post("/v1/videos", body(prompt), "Prefer", "wait=120");
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  void validRequestBecomesACompletedMp4OfTheAskedSize() throws Exception {
    Reply r =
        http.post(
            "/v1/videos",
            "{\"prompt\": \"a red circle moving left\", \"seconds\": \"1\", \"fps\": 4, \"size\": \"20x16\","
                + " \"num_steps\": 3, \"cfg_scale\": 2.5, \"sampler\": \"ddpm\", \"seed\": 11}",
            "Prefer",
            "wait=120");
    assertEquals(200, r.status(), r.body());
    assertEquals("wait=120", r.header("Preference-Applied"));
    JsonNode v = r.json();
    assertEquals("video", v.path("object").asText());
    assertEquals("completed", v.path("status").asText(), v.toString());
    assertEquals(100, v.path("progress").asInt());
    assertEquals("20x16", v.path("size").asText());
    assertEquals("1", v.path("seconds").asText());
    assertEquals(11, v.path("seed").asLong());
    assertEquals(4, v.path("params").path("num_frames").asInt(), "frames = seconds x fps");
    assertEquals("ddpm", v.path("params").path("sampler").asText());
    assertTrue(v.path("completed_at").asLong() >= v.path("created_at").asLong());
    String id = v.path("id").asText();
    Reply mp4 = http.get("/v1/videos/" + id + "/content");
    assertEquals(200, mp4.status());
    assertEquals("video/mp4", mp4.header("Content-Type"));
    Path f = dir.resolve("got.mp4");
    Files.write(f, mp4.bytes());
    try (PointerScope s = new PointerScope();
        DecodedVideo d = VideoReader.decode(f)) {
      assertEquals(4, d.length());
      assertEquals(20, d.info().width());
      assertEquals(16, d.info().height());
      assertEquals(4.0, d.fps(), 1e-9);
    }
    BufferedImage thumb =
        ImageIO.read(
            new ByteArrayInputStream(
                http.get("/v1/videos/" + id + "/content?variant=thumbnail").bytes()));
    assertEquals(20, thumb.getWidth());
    assertEquals(16, thumb.getHeight());
    Reply gif = http.get("/v1/videos/" + id + "/content?variant=gif");
    assertEquals("image/gif", gif.header("Content-Type"));
    assertEquals("GIF89a", new String(gif.bytes(), 0, 6, StandardCharsets.US_ASCII));
    BufferedImage sheet =
        ImageIO.read(
            new ByteArrayInputStream(
                http.get("/v1/videos/" + id + "/content?variant=spritesheet").bytes()));
    assertTrue(sheet.getWidth() > 20 * 3, "four frames side by side, " + sheet.getWidth());
    // the same seed and settings give the same video
    Reply again =
        http.post(
            "/v1/videos",
            "{\"prompt\": \"a red circle moving left\", \"num_frames\": 4, \"fps\": 4, \"size\": \"20x16\","
                + " \"num_steps\": 3, \"cfg_scale\": 2.5, \"sampler\": \"ddpm\", \"seed\": 11}",
            "Prefer",
            "wait=120");
    assertTrue(
        java.util.Arrays.equals(
            mp4.bytes(),
            http.get("/v1/videos/" + again.json().path("id").asText() + "/content").bytes()));
  }

  static Stream<Arguments> invalid() {
    String base = "\"prompt\": \"a red circle\", ";
    return Stream.of(
        Arguments.of("{" + base + "\"colour\": \"red\"}", "colour", "unknown field 'colour'"),
        Arguments.of("{\"size\": \"16x16\"}", "prompt", "prompt: required"),
        Arguments.of("{\"prompt\": \"   \"}", "prompt", "prompt: required"),
        Arguments.of(
            "{\"prompt\": \"" + "x".repeat(2001) + "\"}",
            "prompt",
            "2001 characters, the limit is 2000"),
        Arguments.of("{\"prompt\": 7}", "prompt", "prompt"),
        Arguments.of(
            "{" + base + "\"negative_prompt\": \"blurry\"}", "negative_prompt", "not supported"),
        Arguments.of("{" + base + "\"seconds\": 1, \"num_frames\": 4}", "num_frames", "not both"),
        Arguments.of("{" + base + "\"seconds\": 100, \"fps\": 8}", "seconds", "at most 256 frames"),
        Arguments.of("{" + base + "\"seconds\": -1}", "seconds", "must be > 0"),
        Arguments.of("{" + base + "\"seconds\": \"four\"}", "seconds", "'four'"),
        Arguments.of(
            "{" + base + "\"num_frames\": 0}", "num_frames", "0 frames, must be in 1..256"),
        Arguments.of(
            "{" + base + "\"num_frames\": 257}", "num_frames", "257 frames, must be in 1..256"),
        Arguments.of("{" + base + "\"num_frames\": 4.5}", "num_frames", "num_frames"),
        Arguments.of("{" + base + "\"fps\": 0}", "fps", "fps: 0 must be > 0 and <= 120"),
        Arguments.of("{" + base + "\"fps\": 121}", "fps", "fps: 121"),
        Arguments.of("{" + base + "\"size\": \"big\"}", "size", "'big' is not WIDTHxHEIGHT"),
        Arguments.of(
            "{" + base + "\"size\": \"18x16\"}",
            "size",
            "width 18; it must be a multiple of 4 in 16..1024"),
        Arguments.of(
            "{" + base + "\"size\": \"16x2\"}", "size", "height 2; it must be a multiple of 4"),
        Arguments.of(
            "{" + base + "\"size\": \"16x12\"}",
            "size",
            "height 12; it must be a multiple of 4 in 16..1024"),
        Arguments.of(
            "{" + base + "\"size\": \"2048x16\"}",
            "size",
            "width 2048; it must be a multiple of 4 in 16..1024"),
        Arguments.of(
            "{" + base + "\"num_steps\": 0}", "num_steps", "num_steps: 0, must be in 1..1000"),
        Arguments.of(
            "{" + base + "\"num_steps\": 1001}",
            "num_steps",
            "num_steps: 1001, must be in 1..1000"),
        Arguments.of(
            "{" + base + "\"cfg_scale\": -1}", "cfg_scale", "cfg_scale: -1, must be in 0..50"),
        Arguments.of("{" + base + "\"cfg_scale\": 51}", "cfg_scale", "cfg_scale: 51"),
        Arguments.of("{" + base + "\"seed\": -3}", "seed", "seed: -3, must be >= 0"),
        Arguments.of(
            "{" + base + "\"sampler\": \"euler\"}", "sampler", "'euler' is not one of ddpm, ddim"),
        Arguments.of("{" + base + "\"num_steps\": null}", null, null),
        Arguments.of("{\"prompt\": \"a\"", null, "not valid JSON"),
        Arguments.of("[1, 2]", null, "body"),
        Arguments.of("", null, "must be a JSON object"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void everyInvalidFieldIsA400NamingItTheValueAndTheLimit(String body, String field, String message)
      throws Exception {
    Reply r = http.post("/v1/videos", body);
    if (field == null && message == null) {
      // an explicit null is the same as leaving the field out
      assertEquals(202, r.status(), r.body());
      assertEquals(
          "completed", http.awaitEnd(r.json().path("id").asText()).path("status").asText());
      return;
    }
    assertEquals(400, r.status(), r.body());
    JsonNode e = r.json().path("error");
    assertEquals("invalid_request_error", e.path("type").asText());
    if (field != null) {
      assertEquals(field, e.path("param").asText(), e.toString());
    }
    assertTrue(e.path("message").asText().contains(message), e.path("message").asText());
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    Reply r = http.post("/v1/videos", "{\"prompt\": \"" + "y".repeat(70_000) + "\"}");
    assertEquals(413, r.status(), r.body());
  }

  @Test
  void aFullQueueAnswers429WithRetryAfterAndCancelStopsQueuedAndRunningJobs() throws Exception {
    gen.gate = new CountDownLatch(1);
    Reply running = http.post("/v1/videos", body("hold running"));
    assertEquals(202, running.status());
    gen.awaitHolding(1);
    List<String> queued = new ArrayList<>();
    for (int i = 0; i < MAX_QUEUE; i++) {
      Reply q = http.post("/v1/videos", body("hold queued " + i));
      assertEquals(202, q.status(), q.body());
      assertEquals("queued", q.json().path("status").asText());
      queued.add(q.json().path("id").asText());
    }
    Reply full = http.post("/v1/videos", body("one too many"));
    assertEquals(429, full.status(), full.body());
    assertNotNull(full.header("Retry-After"));
    assertTrue(Integer.parseInt(full.header("Retry-After")) >= 1);
    assertEquals("queue_full", full.json().path("error").path("code").asText());
    // cancel a queued job: it never runs
    Reply c = http.post("/v1/videos/" + queued.get(0) + "/cancel", null);
    assertEquals(200, c.status(), c.body());
    assertEquals("cancelled", c.json().path("status").asText());
    // cancel the running one: it stops at its next step
    String runId = running.json().path("id").asText();
    assertEquals("in_progress", http.get("/v1/videos/" + runId).json().path("status").asText());
    Reply cr = http.post("/v1/videos/" + runId + "/cancel", null);
    assertEquals("cancelled", cr.json().path("status").asText(), cr.body());
    assertEquals(
        409, http.post("/v1/videos/" + runId + "/cancel", null).status(), "already cancelled");
    assertEquals(
        409,
        http.get("/v1/videos/" + runId + "/content").status(),
        "no content for a cancelled job");
    gen.release();
    assertEquals("completed", http.awaitEnd(queued.get(1)).path("status").asText());
    assertEquals(0, gen.runs("hold queued 0"), "a cancelled queued job never runs");
    assertEquals(1, gen.runs("hold running"));
  }

  @Test
  void aFailingJobEndsFailedAndTheNextOneCompletes() throws Exception {
    Reply r = http.post("/v1/videos", body("fail please"), "Prefer", "wait=60");
    JsonNode v = r.json();
    assertEquals("failed", v.path("status").asText(), v.toString());
    assertEquals("generation_failed", v.path("error").path("code").asText());
    assertTrue(v.path("error").path("message").asText().contains("injected failure"), v.toString());
    assertEquals("completed", submitAndWait("after the failure").path("status").asText());
    assertEquals(200, http.get("/health").status());
  }

  @Test
  void preferWaitHoldsTheAnswerOnlyWhenAsked() throws Exception {
    gen.gate = new CountDownLatch(1);
    Reply quick = http.post("/v1/videos", body("hold for prefer"));
    assertEquals(202, quick.status(), "no Prefer: answered at once");
    assertNull(quick.header("Preference-Applied"));
    assertEquals("/v1/videos/" + quick.json().path("id").asText(), quick.header("Location"));
    Reply waited =
        http.post(
            "/v1/videos", body("waits behind the held one"), "Prefer", "respond-async, wait=1");
    assertEquals(202, waited.status(), "still queued after 1 s");
    assertEquals("wait=1", waited.header("Preference-Applied"));
    assertEquals("queued", waited.json().path("status").asText());
    gen.release();
    assertEquals(
        "completed", http.awaitEnd(waited.json().path("id").asText()).path("status").asText());
    assertEquals("completed", submitAndWait("waited for").path("status").asText());
  }

  @Test
  void deleteRemovesTheJobAndItsFilesAndStopsARunningOne() throws Exception {
    String id = submitAndWait("to be deleted").path("id").asText();
    Path jobDir = outputs.resolve("videos").resolve(id);
    assertTrue(Files.isRegularFile(jobDir.resolve("video.mp4")));
    Reply d = http.send("DELETE", "/v1/videos/" + id, null);
    assertEquals(200, d.status(), d.body());
    assertTrue(d.json().path("deleted").asBoolean());
    assertFalse(Files.exists(jobDir));
    assertEquals(404, http.get("/v1/videos/" + id).status());
    assertEquals(404, http.send("DELETE", "/v1/videos/" + id, null).status());
    gen.gate = new CountDownLatch(1);
    String held = http.post("/v1/videos", body("hold then delete")).json().path("id").asText();
    gen.awaitHolding(1);
    assertEquals(200, http.send("DELETE", "/v1/videos/" + held, null).status());
    assertFalse(Files.exists(outputs.resolve("videos").resolve(held)));
    gen.release();
    assertEquals(
        "completed",
        submitAndWait("after a delete").path("status").asText(),
        "the worker carries on");
  }

  @Test
  void listIsNewestFirstAndPagesWithLimitAndAfter() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(submitAndWait("listed " + i).path("id").asText());
    }
    JsonNode p1 = http.get("/v1/videos?limit=2").json();
    assertEquals("list", p1.path("object").asText());
    assertEquals(ids.get(2), p1.path("data").get(0).path("id").asText());
    assertEquals(ids.get(1), p1.path("data").get(1).path("id").asText());
    assertTrue(p1.path("has_more").asBoolean());
    assertEquals(ids.get(1), p1.path("last_id").asText());
    JsonNode p2 = http.get("/v1/videos?limit=1&after=" + p1.path("last_id").asText()).json();
    assertEquals(ids.get(0), p2.path("data").get(0).path("id").asText());
    Set<String> all = new HashSet<>();
    String after = null;
    do {
      JsonNode p = http.get("/v1/videos?limit=3" + (after == null ? "" : "&after=" + after)).json();
      p.path("data")
          .forEach(v -> assertTrue(all.add(v.path("id").asText()), "each video on one page only"));
      after = p.path("has_more").asBoolean() ? p.path("last_id").asText() : null;
    } while (after != null);
    assertTrue(all.containsAll(ids));
    assertEquals(400, http.get("/v1/videos?limit=0").status());
    assertEquals(400, http.get("/v1/videos?limit=101").status());
    assertEquals(
        "after", http.get("/v1/videos?after=nope").json().path("error").path("param").asText());
    assertEquals(400, http.get("/v1/videos?after=" + java.util.UUID.randomUUID()).status());
  }

  @Test
  void idsAndVariantsCannotReachOtherFiles() throws Exception {
    String id = submitAndWait("tampering target").path("id").asText();
    Files.writeString(outputs.resolve("secret.txt"), "secret");
    for (String bad :
        new String[] {
          "..%2Fsecret.txt",
          "..%2F..%2Fsecret.txt",
          "%2E%2E",
          id.toUpperCase(),
          id + "%2F..",
          id + "x",
          "{" + id + "}",
          java.util.UUID.randomUUID().toString(),
          "00000000-0000-0000-0000-000000000000"
        }) {
      Reply r = http.get("/v1/videos/" + bad.replace("{", "%7B").replace("}", "%7D") + "/content");
      assertEquals(404, r.status(), bad + ": " + r.body());
      assertFalse(r.body().contains("secret\""), bad);
    }
    assertEquals(404, http.get("/v1/videos/../secret.txt").status());
    for (String v : new String[] {"..%2Fsecret.txt", "job.json", "video.mp4", "%2Fetc%2Fpasswd"}) {
      Reply r = http.get("/v1/videos/" + id + "/content?variant=" + v);
      assertEquals(400, r.status(), v);
      assertEquals("variant", r.json().path("error").path("param").asText());
    }
    assertFalse(server.uri().toString().contains("0.0.0.0"));
  }

  @Test
  void eventsStreamEachDenoisingStepAndTheFinalStatus() throws Exception {
    gen.gate = new CountDownLatch(1);
    String id =
        http.post(
                "/v1/videos",
                "{\"prompt\": \"hold events\", \"num_frames\": 4, \"size\": \"16x16\", \"num_steps\": 5,"
                    + " \"cfg_scale\": 0}")
            .json()
            .path("id")
            .asText();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.uri() + "/v1/videos/" + id + "/events"))
            .header("Accept", "text/event-stream")
            .build();
    HttpResponse<java.io.InputStream> res =
        http.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, res.statusCode());
    assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    gen.release();
    List<String[]> events = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
      String event = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("event:")) {
          event = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          events.add(new String[] {event, line.substring(5).strip()});
        }
      }
    }
    List<Integer> steps = new ArrayList<>();
    String last = null;
    for (String[] e : events) {
      JsonNode d = ServeFixtures.JSON.readTree(e[1]);
      if (e[0].equals("progress")) {
        if (d.path("total").asInt() == 5) {
          steps.add(d.path("step").asInt());
        }
      } else {
        assertEquals("video", e[0]);
        last = d.path("status").asText();
      }
    }
    assertEquals(List.of(1, 2, 3, 4, 5), steps, "every step of the real sampler, in order");
    assertEquals("completed", last, "the stream ends with the final status");
    assertEquals(404, http.get("/v1/videos/" + java.util.UUID.randomUUID() + "/events").status());
  }

  @Test
  void modelsHealthAndThePage() throws Exception {
    JsonNode m = http.get("/v1/models").json().path("data").get(0);
    assertEquals("model", m.path("object").asText());
    assertEquals("self-cross", m.path("arch").asText());
    assertEquals("raw", m.path("compressor").asText());
    assertEquals("builtin", m.path("text_encoder").asText());
    assertEquals("16x16", m.path("defaults").path("size").asText(), "the training data's size");
    assertEquals(4, m.path("defaults").path("num_frames").asInt());
    assertEquals(4, m.path("limits").path("width_multiple").asInt(), "raw latents and patch 4");
    assertEquals(1000, m.path("limits").path("max_steps").asInt());
    assertFalse(m.toString().contains(dir.toString()), "no server paths");
    JsonNode h = http.get("/health").json();
    assertEquals("ok", h.path("status").asText());
    Reply page = http.get("/");
    assertEquals(200, page.status());
    assertTrue(page.body().contains("id=\"generate\""));
    assertFalse(
        page.body().contains("http://") || page.body().contains("https://"),
        "no external resources");
    assertEquals(200, http.get("/app.js").status());
    assertEquals(404, http.get("/v1/nothing").status());
    assertNull(
        http.get("/v1/models").header("Access-Control-Allow-Origin"), "no CORS unless --cors");
  }

  @Test
  void openApiDocumentListsExactlyTheServedRoutes() throws Exception {
    JsonNode doc = http.get("/openapi.json").json();
    assertTrue(doc.path("openapi").asText().startsWith("3."));
    Set<VideoServer.Route> documented = new HashSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      for (Iterator<String> ms = p.getValue().fieldNames(); ms.hasNext(); ) {
        documented.add(new VideoServer.Route(ms.next().toUpperCase(), p.getKey()));
      }
    }
    assertEquals(new HashSet<>(server.routes()), documented);
    // and each documented route is really there: an unknown id is the route's 404, not the router's
    String some = java.util.UUID.randomUUID().toString();
    for (VideoServer.Route r : documented) {
      String path = r.path().replace("{id}", some);
      Reply reply =
          http.send(
              r.method(),
              path,
              r.method().equals("POST") && !path.endsWith("cancel") ? "{}" : null);
      assertFalse(
          reply.body().contains("no_route"),
          r + " answered " + reply.status() + " " + reply.body());
      for (Iterator<String> codes =
              doc.path("paths")
                  .path(r.path())
                  .path(r.method().toLowerCase())
                  .path("responses")
                  .fieldNames();
          codes.hasNext(); ) {
        assertTrue(codes.next().matches("[1-5][0-9][0-9]"));
      }
      assertTrue(
          doc.path("paths")
              .path(r.path())
              .path(r.method().toLowerCase())
              .path("responses")
              .has(Integer.toString(reply.status())),
          r + " answered " + reply.status() + ", which the document does not list");
    }
  }
}
