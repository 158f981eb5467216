package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A preprocess run that would write no (video, caption) pair is an error that says why. */
class PreprocessNoPairTest {
  @TempDir Path dir;

  private Path synth(int count) {
    Path data = dir.resolve("shapes");
    Cli synth =
        Cli.run(
            "data",
            "synth",
            "-o",
            data.toString(),
            "--count",
            Integer.toString(count),
            "--seed",
            "2");
    assertEquals(0, synth.code(), synth.err());
    return data;
  }

  @Test
  void aVideoDirectoryWithNoneOfTheListedVideosNamesTheMissingCountAndTheSubfolderThatHoldsThem() {
    Path data = synth(5);
    Path out = dir.resolve("out");
    // -v points at the folder above videos/, where captions.json is
    Cli r =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            data.toString(),
            "-o",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(
        r.err()
            .contains(
                "none of the 5 videos listed in "
                    + data.resolve("captions.json")
                    + " is in "
                    + data
                    + ": 5 missing"),
        r.err());
    assertTrue(
        r.err()
            .contains(
                data.resolve("videos")
                    + " holds 5 of the 5 missing files: use it as the video directory"),
        r.err());
    assertFalse(Files.exists(out.resolve("text_encoder")), "nothing written before the check");

    Cli nowhere =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            dir.resolve("nope").toString(),
            "-o",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(1, nowhere.code(), nowhere.out() + nowhere.err());
    assertTrue(
        nowhere
            .err()
            .contains(
                "is in " + dir.resolve("nope") + " (the directory does not exist): 5 missing"),
        nowhere.err());
  }

  @Test
  void videosThatAreAllSkippedFailTheRunWithTheirReasons() throws Exception {
    Path data = synth(3);
    Path videos = data.resolve("videos");
    try (var files = Files.list(videos)) {
      for (Path f : files.toList()) {
        Files.writeString(f, "not a video"); // every listed file is there, none decodes
      }
    }
    Path out = dir.resolve("out");
    Cli r =
        Cli.run(
            "preprocess",
            "-c",
            data.resolve("captions.json").toString(),
            "-v",
            videos.toString(),
            "-o",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(
        r.err()
            .contains(
                "no (video, caption) pair was written: all 3 videos listed in "
                    + data.resolve("captions.json")
                    + " were skipped {not-a-video=3} (see "
                    + out.resolve("skipped.jsonl")
                    + ")"),
        r.err());
  }
}
