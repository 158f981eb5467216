package io.jsora.data;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MsrVttTest {
  @TempDir Path dir;
  private HttpServer server;
  private final List<String> ranges = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  /**
   * Serves {@code body}; the first {@code drops} requests send only {@code cut} bytes then close.
   */
  private URI serve(byte[] body, int drops, int cut, boolean honourRange) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    int[] left = {drops};
    server.createContext(
        "/MSRVTT.zip",
        (HttpExchange ex) -> {
          String range = ex.getRequestHeaders().getFirst("Range");
          ranges.add(String.valueOf(range));
          int from = 0;
          if (range != null && honourRange) {
            from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
            ex.getResponseHeaders()
                .add(
                    "Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            ex.sendResponseHeaders(206, body.length - from);
          } else {
            ex.sendResponseHeaders(200, body.length);
          }
          OutputStream out = ex.getResponseBody();
          boolean drop;
          synchronized (left) {
            drop = left[0]-- > 0;
          }
          try {
            if (drop) {
              out.write(body, from, Math.min(cut, body.length - from));
              out.flush();
              ex.getHttpContext()
                  .getServer(); // the connection is then cut: fewer bytes than announced
              ex.close();
              return;
            }
            out.write(body, from, body.length - from);
          } catch (IOException ignored) {
            // the client went away
          }
          ex.close();
        });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/MSRVTT.zip");
  }

  private static byte[] zip() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] noise = new byte[200_000];
    new Random(7).nextBytes(noise);
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry("MSRVTT/annotation/MSR_VTT.json"));
      z.write("{\"annotations\": []}".getBytes(StandardCharsets.UTF_8));
      z.putNextEntry(new ZipEntry("MSRVTT/videos/all/video0.mp4"));
      z.write(noise);
      z.closeEntry();
    }
    return b.toByteArray();
  }

  private static final Download.Options FAST =
      Download.Options.defaults().withRetryDelay(0).withTimeouts(2000, 2000);

  @Test
  void resumesAfterADroppedConnectionAndUnzips() throws Exception {
    byte[] body = zip();
    URI url = serve(body, 1, 50_000, true);
    Path target = dir.resolve("MSRVTT.zip");
    Download.Result r = Download.fetch(url, target, FAST, Download.ProgressFactory.NONE);
    assertArrayEquals(body, Files.readAllBytes(target));
    assertEquals(1, r.resumes());
    assertEquals(
        List.of("null", "bytes=50000-"),
        ranges,
        "second request resumes where the first broke off");
    assertEquals(
        Download.sha256(target), Files.readString(dir.resolve("MSRVTT.zip.sha256")).split(" ")[0]);
    assertFalse(Files.exists(dir.resolve("MSRVTT.zip.part")));
    assertEquals(2, MsrVtt.unzip(target, dir, Progress.NONE));
    assertEquals(200_000, Files.size(dir.resolve("MSRVTT/videos/all/video0.mp4")));
    assertEquals(
        0, MsrVtt.unzip(target, dir, Progress.NONE), "a second unzip skips complete files");
    // a second run finds the finished file
    assertTrue(Download.fetch(url, target, FAST, Download.ProgressFactory.NONE).alreadyPresent());
  }

  @Test
  void resumesAPartialFileFromAnEarlierRun() throws Exception {
    byte[] body = zip();
    URI url = serve(body, 0, 0, true);
    Path target = dir.resolve("MSRVTT.zip");
    Files.write(dir.resolve("MSRVTT.zip.part"), java.util.Arrays.copyOf(body, 12_345));
    Download.Result r =
        Download.fetch(
            url, target, FAST.withExpected(body.length, null), Download.ProgressFactory.NONE);
    assertArrayEquals(body, Files.readAllBytes(target));
    assertEquals(List.of("bytes=12345-"), ranges);
    assertEquals(1, r.resumes());
  }

  @Test
  void restartsWhenTheServerIgnoresRangesAndChecksTheDigest() throws Exception {
    byte[] body = zip();
    URI url = serve(body, 0, 0, false);
    Path target = dir.resolve("MSRVTT.zip");
    Files.write(dir.resolve("MSRVTT.zip.part"), new byte[] {1, 2, 3});
    IOException bad =
        assertThrows(
            IOException.class,
            () ->
                Download.fetch(
                    url, target, FAST.withExpected(0, "00"), Download.ProgressFactory.NONE));
    assertTrue(bad.getMessage().contains("SHA-256"), bad.getMessage());
    Download.Result r = Download.fetch(url, target, FAST, Download.ProgressFactory.NONE);
    assertArrayEquals(body, Files.readAllBytes(target));
    assertEquals(0, r.resumes());
  }

  @Test
  void failsFastAndClearlyWithoutAServer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                Download.fetch(
                    URI.create("http://127.0.0.1:" + port + "/MSRVTT.zip"),
                    dir.resolve("MSRVTT.zip"),
                    Download.Options.defaults(),
                    Download.ProgressFactory.NONE));
    assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getMessage());
    assertTrue((System.nanoTime() - t0) / 1e9 < 10, "no hang");
  }

  @Test
  void collatesTheFixtureTree() throws Exception {
    Path in = dir.resolve("MSRVTT");
    Files.createDirectories(in.resolve("annotation"));
    Files.createDirectories(in.resolve("structured-symlinks"));
    Files.createDirectories(in.resolve("videos/all"));
    StringBuilder anns = new StringBuilder("{\"annotations\": [");
    String[][] caps = {
      {"video0", "a man talks"},
      {"video1", "a cat jumps"},
      {"video0", "someone speaks"},
      {"video2", "cars race"},
      {"video3", "a dog runs"},
      {"video4", "people dance"},
      {"video5", "rain falls"},
      {"video9", "orphan caption"},
      {"video0", "a person talking"},
      {"video3", "a puppy"}
    };
    for (int i = 0; i < caps.length; i++) {
      anns.append(i == 0 ? "" : ",")
          .append("{\"image_id\": \"")
          .append(caps[i][0])
          .append("\", \"caption\": \"")
          .append(caps[i][1])
          .append("\", \"id\": ")
          .append(i)
          .append('}');
    }
    Files.writeString(in.resolve("annotation/MSR_VTT.json"), anns.append("]}").toString());
    Files.writeString(
        in.resolve("structured-symlinks/train_list_full.txt"), "video0\nvideo1\nvideo2\n");
    Files.writeString(in.resolve("structured-symlinks/val_list_full.txt"), "video3\nvideo7\n");
    Files.writeString(in.resolve("structured-symlinks/test_list_full.txt"), "video4\nvideo5\n\n");
    for (String v : new String[] {"video0", "video1", "video2", "video3", "video4", "video9"}) {
      Files.writeString(in.resolve("videos/all/" + v + ".mp4"), "fake video " + v);
    }
    Path out = dir.resolve("collated");
    MsrVtt.Summary s = MsrVtt.collate(in, out, false, Progress.NONE);
    assertEquals(3, s.videos().get("train"));
    assertEquals(5, s.captions().get("train"));
    assertEquals(1, s.videos().get("val"));
    assertEquals(2, s.captions().get("val"));
    assertEquals(1, s.videos().get("test"));
    assertEquals(List.of("video5"), s.missingVideos().get("test"));
    assertEquals(List.of("video9"), s.noSplit());
    assertEquals(List.of("video7"), s.noCaptions());
    assertEquals(5, s.links() + s.copies());
    JsonNode train = new ObjectMapper().readTree(out.resolve("train/annotations.json").toFile());
    assertEquals("video0.mp4", train.get(0).get("file").asText());
    assertEquals(
        List.of("a man talks", "someone speaks", "a person talking"),
        new ObjectMapper().convertValue(train.get(0).get("captions"), List.class));
    Path linked = out.resolve("train/videos/video1.mp4");
    assertEquals("fake video video1", Files.readString(linked));
    if (s.links() > 0) {
      assertTrue(
          Files.isSameFile(linked, in.resolve("videos/all/video1.mp4"))
              || Files.getAttribute(linked, "unix:nlink").equals(2));
    }
    // running again changes nothing and copies nothing
    MsrVtt.Summary again = MsrVtt.collate(in, out, false, Progress.NONE);
    assertEquals(0, again.links() + again.copies());
    assertEquals(s.videos(), again.videos());
  }
}
