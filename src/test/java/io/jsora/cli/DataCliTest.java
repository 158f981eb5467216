package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.jsora.data.FakeTextEncoder;
import io.jsora.data.HfDataset;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCliTest {
  @TempDir Path dir;

  @AfterEach
  void rewire() {
    PreprocessCommand.setModels(new PreprocessCommand.Wired());
  }

  @Test
  void synthThenPreprocessFromTheCommandLine() throws Exception {
    Path data = dir.resolve("shapes");
    Cli synth =
        Cli.run(
            "data",
            "synth",
            "-o",
            data.toString(),
            "--count",
            "6",
            "--seed",
            "2",
            "--hold-out",
            "red:*:*");
    assertEquals(0, synth.code(), synth.err());
    assertTrue(synth.out().contains("wrote 6 clips"), synth.out());
    assertTrue(synth.out().contains("held out: 12 combination(s)"), synth.out());
    assertEquals(6, Files.list(data.resolve("videos")).count());

    // the real factories: the built-in text encoder made from these captions, the raw compressor
    Path real = dir.resolve("ds0");
    Cli wired =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            data.resolve("videos").toString(),
            "-o",
            real.toString(),
            "--cache-latents",
            "--compressor",
            "raw",
            "--device",
            "cpu");
    assertEquals(0, wired.code(), wired.err());
    assertTrue(wired.out().contains("built-in text encoder"), wired.out());
    assertTrue(Files.isDirectory(real.resolve("text_encoder")));
    try (io.jsora.data.ArrowVideoDataset ds = io.jsora.data.ArrowVideoDataset.open(real)) {
      assertEquals(6, ds.size());
      assertTrue(ds.info().textEncoder().startsWith("builtin:"), ds.info().textEncoder());
      assertEquals("raw", ds.info().compressor());
    }

    PreprocessChild.install(0);
    Path out = dir.resolve("ds");
    Cli pre =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            data.resolve("videos").toString(),
            "-o",
            out.toString(),
            "--cache-latents",
            "--use-pooled-text",
            "--num-shards",
            "2");
    assertEquals(0, pre.code(), pre.err());
    assertTrue(pre.out().contains("pairs written: 6"), pre.out());
    assertTrue(pre.out().matches("(?s).*speed: [0-9.]+ videos/s, [0-9.]+ pairs/s.*"), pre.out());
    assertTrue(Files.exists(out.resolve("data-00001-of-00002.arrow")));
    Cli again =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            data.resolve("videos").toString(),
            "-o",
            out.toString());
    assertEquals(1, again.code());
    assertTrue(again.err().contains("--resume"), again.err());
  }

  @Test
  void downloadsUnzipsAndCollatesMsrVttFromTheCommandLine() throws Exception {
    java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
      z.putNextEntry(new java.util.zip.ZipEntry("MSRVTT/annotation/MSR_VTT.json"));
      z.write(
          ("{\"annotations\": [{\"image_id\": \"video0\", \"caption\": \"a\"}, {\"image_id\": \"video1\", \"caption\": \"b\"},"
                  + " {\"image_id\": \"video0\", \"caption\": \"c\"}, {\"image_id\": \"video2\", \"caption\": \"d\"}]}")
              .getBytes());
      for (String split : new String[] {"train", "val", "test"}) {
        z.putNextEntry(
            new java.util.zip.ZipEntry("MSRVTT/structured-symlinks/" + split + "_list_full.txt"));
        z.write(
            (split.equals("train") ? "video0\n" : split.equals("val") ? "video1\n" : "")
                .getBytes());
      }
      for (String v : new String[] {"video0", "video1", "video2"}) {
        z.putNextEntry(new java.util.zip.ZipEntry("MSRVTT/videos/all/" + v + ".mp4"));
        z.write(("fake " + v).getBytes());
      }
    }
    byte[] body = zip.toByteArray();
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/MSRVTT.zip",
        ex -> {
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    try {
      Path d = dir.resolve("dataset");
      Cli dl =
          Cli.run(
              "data",
              "download-msrvtt",
              "-d",
              d.toString(),
              "--url",
              "http://127.0.0.1:" + server.getAddress().getPort() + "/MSRVTT.zip");
      assertEquals(0, dl.code(), dl.err());
      assertTrue(dl.out().contains(body.length + " bytes, sha256 "), dl.out());
      assertTrue(dl.out().contains("collate-msrvtt -d " + d.resolve("MSRVTT")), dl.out());
      Cli col =
          Cli.run(
              "data",
              "collate-msrvtt",
              "-d",
              d.resolve("MSRVTT").toString(),
              "-o",
              dir.resolve("msrvtt").toString());
      assertEquals(0, col.code(), col.err());
      assertTrue(col.out().contains("train      1 videos       2 captions"), col.out());
      assertTrue(col.out().contains("captioned ids in no split: 1 (video2)"), col.out());
    } finally {
      server.stop(0);
    }
    Cli offline =
        Cli.run(
            "data",
            "download-msrvtt",
            "-d",
            dir.resolve("x").toString(),
            "--url",
            "http://127.0.0.1:1/MSRVTT.zip");
    assertEquals(1, offline.code());
    assertTrue(offline.err().contains("cannot connect to 127.0.0.1:1"), offline.err());
  }

  @Test
  void killedWithSigkillAndResumedGivesEveryPairExactlyOnce() throws Exception {
    Path data = dir.resolve("shapes");
    Synth.generate(SynthConfig.defaults(24).withSeed(5), data, Progress.NONE);
    Path captions = data.resolve("captions.json");
    Path videos = data.resolve("videos");
    Path clean = dir.resolve("clean");
    Path out = dir.resolve("ds");
    try (Device cpu = new Device("cpu")) {
      new Preprocessor(
              new PreprocessConfig(
                  captions, videos, clean, false, 600, 2, false, false, 1, 1, 2, 0, 1),
              new FakeTextEncoder(),
              null,
              cpu)
          .run(Progress.NONE);
    }
    String[] args = {
      "preprocess",
      "-c",
      captions.toString(),
      "-v",
      videos.toString(),
      "-o",
      out.toString(),
      "--num-shards",
      "2",
      "--text-batch",
      "1",
      "--chunk",
      "1",
      "--decode-workers",
      "2",
      "--device",
      "cpu"
    };
    // first run: killed after 3 committed batches; second (--resume): killed after 3 more
    killAfter(args, out.resolve(".jsora-progress/shard-00000.jsonl"), 3);
    List<String> resume = new ArrayList<>(List.of(args));
    resume.add("--resume");
    killAfter(resume.toArray(new String[0]), out.resolve(".jsora-progress/shard-00000.jsonl"), 6);
    assertFalse(Files.exists(out.resolve("state.json")), "the killed runs did not finish");
    PreprocessChild.install(0);
    Cli last = Cli.run(resume.toArray(new String[0]));
    assertEquals(0, last.code(), last.err());
    for (int s = 0; s < 2; s++) {
      String name = HfDataset.shardName(s, 2);
      assertArrayEquals(
          Files.readAllBytes(clean.resolve(name)),
          Files.readAllBytes(out.resolve(name)),
          name + ": no duplicates, no gaps: byte-identical to an uninterrupted run");
    }
    assertEquals(
        Files.readString(clean.resolve("state.json")), Files.readString(out.resolve("state.json")));
  }

  /** Starts the CLI in a child JVM and SIGKILLs it once {@code journal} has {@code lines} lines. */
  private static void killAfter(String[] args, Path journal, int lines) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Xmx") || a.startsWith("-Dorg.bytedeco")) {
        cmd.add(a);
      }
    }
    cmd.add("-Djsora.test.sleepMs=150");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(PreprocessChild.class.getName());
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (count(journal) < lines) {
        assertTrue(
            p.isAlive(),
            "the child ended before it could be killed (exit "
                + (p.isAlive() ? "" : p.exitValue())
                + ")");
        assertTrue(System.nanoTime() < deadline, "the child made no progress");
        Thread.sleep(20);
      }
    } finally {
      p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
      p.waitFor();
    }
  }

  private static long count(Path journal) throws java.io.IOException {
    if (!Files.isRegularFile(journal)) {
      return 0;
    }
    return Files.readAllLines(journal).size();
  }
}
