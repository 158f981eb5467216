package io.jsora.serve;

import static io.jsora.serve.ServeFixtures.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.cli.Main;
import io.jsora.serve.ServeFixtures.Http;
import io.jsora.serve.ServeFixtures.Reply;
import io.jsora.tensor.DeviceSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bearer token, loopback default, CORS. */
class ServeSecurityTest {
  static final String TOKEN = "s3cret-token-0123456789";
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

  @Test
  void withATokenEveryApiRouteNeedsItAndAWrongOneIsRefused() throws Exception {
    ServeConfig cfg = ServeFixtures.config(ckpt, dir.resolve("token")).withToken(TOKEN);
    try (VideoServer s = VideoServer.start(cfg, real)) {
      Http http = new Http(s.uri());
      for (String path :
          new String[] {
            "/v1/models",
            "/v1/videos",
            "/openapi.json",
            "/v1/videos/" + java.util.UUID.randomUUID() + "/content"
          }) {
        Reply r = http.get(path);
        assertEquals(401, r.status(), path);
        assertEquals("Bearer", r.header("WWW-Authenticate"));
        assertEquals("missing_token", r.json().path("error").path("code").asText());
      }
      assertEquals(401, http.post("/v1/videos", body("no token")).status());
      for (String wrong :
          new String[] {
            TOKEN + "x", TOKEN.substring(1), TOKEN.toUpperCase(), "", "Basic " + TOKEN
          }) {
        http.token = wrong;
        Reply r = http.get("/v1/models");
        assertEquals(401, r.status(), "token '" + wrong + "'");
      }
      Reply basic = http.send("GET", "/v1/models", null, "Authorization", "Basic " + TOKEN);
      assertEquals(401, basic.status());
      assertEquals(200, http.send("GET", "/health", null).status(), "health needs no token");
      assertEquals(200, http.get("/").status(), "the page itself holds nothing secret");
      http.token = TOKEN;
      Reply models = http.get("/v1/models");
      assertEquals(200, models.status(), models.body());
      Reply r = http.post("/v1/videos", body("with the token"), "Prefer", "wait=60");
      assertEquals("completed", r.json().path("status").asText(), r.body());
      assertEquals(
          200, http.get("/v1/videos/" + r.json().path("id").asText() + "/content").status());
      assertTrue(!cfg.toString().contains(TOKEN), "the token is never printed");
    }
  }

  @Test
  void anyAddressButLoopbackNeedsATokenAndShortTokensAreRefused() throws Exception {
    ServeConfig d = ServeFixtures.config(ckpt, dir.resolve("x"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ServeConfig(
                    d.checkpoint(),
                    false,
                    DeviceSpec.CPU,
                    "0.0.0.0",
                    0,
                    d.outputs(),
                    4,
                    1,
                    Optional.empty(),
                    Optional.empty(),
                    65536,
                    d.grace(),
                    100,
                    16,
                    64,
                    10,
                    5));
    assertTrue(
        e.getMessage()
            .contains("--host 0.0.0.0 is not a loopback address: binding to it needs --token-file"),
        e.getMessage());
    new ServeConfig(
        d.checkpoint(),
        false,
        DeviceSpec.CPU,
        "0.0.0.0",
        0,
        d.outputs(),
        4,
        1,
        Optional.of(TOKEN),
        Optional.empty(),
        65536,
        d.grace(),
        100,
        16,
        64,
        10,
        5); // with a token it is allowed
    new ServeConfig(
        d.checkpoint(),
        false,
        DeviceSpec.CPU,
        "localhost",
        0,
        d.outputs(),
        4,
        1,
        Optional.empty(),
        Optional.empty(),
        65536,
        d.grace(),
        100,
        16,
        64,
        10,
        5);
    IllegalArgumentException shortToken =
        assertThrows(IllegalArgumentException.class, () -> d.withToken("short"));
    assertTrue(shortToken.getMessage().contains("at least 16 characters"), shortToken.getMessage());
    // the command refuses before loading anything
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    int code =
        cl.execute(
            "serve",
            "--ckpt",
            ckpt.toString(),
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--outputs",
            dir.resolve("y").toString());
    assertEquals(1, code);
    assertTrue(err.toString().contains("needs --token-file"), err.toString());
    Path tokenFile = dir.resolve("token.txt");
    Files.writeString(tokenFile, "tiny\n");
    err.getBuffer().setLength(0);
    assertEquals(
        1,
        cl.execute(
            "serve",
            "--ckpt",
            ckpt.toString(),
            "--token-file",
            tokenFile.toString(),
            "--port",
            "0"));
    assertTrue(err.toString().contains("at least 16 characters"), err.toString());
  }

  @Test
  void corsHeadersOnlyForTheConfiguredOrigin() throws Exception {
    ServeConfig c = ServeFixtures.config(ckpt, dir.resolve("cors"));
    ServeConfig cfg =
        new ServeConfig(
            c.checkpoint(),
            false,
            DeviceSpec.CPU,
            c.host(),
            0,
            c.outputs(),
            4,
            1,
            Optional.empty(),
            Optional.of("http://localhost:3000"),
            c.maxBodyBytes(),
            c.grace(),
            c.maxPromptChars(),
            c.maxFrames(),
            c.maxSide(),
            c.maxSteps(),
            c.defaultSteps());
    try (VideoServer s = VideoServer.start(cfg, real)) {
      Http http = new Http(s.uri());
      Reply ok = http.send("GET", "/v1/models", null, "Origin", "http://localhost:3000");
      assertEquals("http://localhost:3000", ok.header("Access-Control-Allow-Origin"));
      Reply other = http.send("GET", "/v1/models", null, "Origin", "http://evil.example");
      assertNull(other.header("Access-Control-Allow-Origin"));
    }
  }
}
