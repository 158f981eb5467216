package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalSynthCommandTest {
  @TempDir Path dir;

  @Test
  void synthesisedVideosScorePerfectlyOnColourAndDirection() throws Exception {
    Path data = dir.resolve("syn");
    assertEquals(
        0,
        Cli.run("data", "synth", "--out", data.toString(), "--count", "12", "--seed", "3").code());
    Path json = dir.resolve("score.json");
    Cli r = Cli.run("eval-synth", "--videos", data.toString(), "--json", json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("videos: 12"), r.out());
    assertTrue(r.out().matches("(?s).*colour\\s+100\\.0%.*"), r.out());
    assertTrue(r.out().matches("(?s).*direction\\s+100\\.0%.*"), r.out());
    assertTrue(Files.readString(json).contains("\"colour_accuracy\" : 1.0"));
  }

  @Test
  void plainPromptFileMatchesVideosInNameOrderAndMismatchIsAnError() throws Exception {
    Path data = dir.resolve("syn");
    assertEquals(
        0,
        Cli.run("data", "synth", "--out", data.toString(), "--count", "2", "--seed", "1").code());
    String captions = Files.readString(data.resolve("captions.json"));
    // wrong prompts on purpose: colours swapped to one no clip has
    Path prompts = dir.resolve("prompts.txt");
    Files.writeString(prompts, "a white circle moving left\na white square moving up\n");
    Cli r =
        Cli.run(
            "eval-synth",
            "--videos",
            data.resolve("videos").toString(),
            "--prompts",
            prompts.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().matches("(?s).*colour\\s+0\\.0%.*"), r.out() + captions);
    Files.writeString(prompts, "only one\n");
    Cli bad =
        Cli.run(
            "eval-synth",
            "--videos",
            data.resolve("videos").toString(),
            "--prompts",
            prompts.toString());
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("1 prompts but 2 videos"), bad.err());
  }

  @Test
  void skipFramesJudgesTheRestAndRefusesToLeaveTooFew() throws Exception {
    Path data = dir.resolve("syn");
    assertEquals(
        0,
        Cli.run("data", "synth", "--out", data.toString(), "--count", "4", "--seed", "2").code());
    Cli r = Cli.run("eval-synth", "--videos", data.toString(), "--skip-frames", "3");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().matches("(?s).*direction\\s+100\\.0%.*"), r.out());
    Cli bad = Cli.run("eval-synth", "--videos", data.toString(), "--skip-frames", "7");
    assertEquals(2, bad.code(), bad.err() + bad.out());
    assertTrue(bad.err().contains("at least 2 must be left"), bad.err());
  }
}
