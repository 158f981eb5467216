package io.jsora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rule: each package may use only the packages listed for it (dependencies point
 * downward), checked on imports and fully qualified names in the sources. Documentation
 * (package-info.java) may name anything.
 */
class ArchitectureTest {
  /** Package → what it may use besides itself. */
  static final Map<String, Set<String>> ALLOWED =
      new TreeMap<>(
          Map.ofEntries(
              Map.entry("config", Set.of()),
              Map.entry("tensor", Set.of("config")),
              Map.entry("checkpoint", Set.of("tensor")),
              Map.entry("nn", Set.of("tensor")),
              Map.entry("diffusion", Set.of("config", "tensor")),
              Map.entry("diffusion.rflow", Set.of("config", "tensor", "diffusion")),
              Map.entry("video", Set.of("tensor", "checkpoint")),
              Map.entry("model.dit", Set.of("config", "nn", "tensor", "parallel")),
              Map.entry("model.stdit3", Set.of("nn", "tensor", "parallel", "checkpoint")),
              Map.entry("model.text", Set.of("nn", "tensor", "checkpoint")),
              Map.entry("model.vae", Set.of("config", "nn", "tensor", "checkpoint", "video")),
              Map.entry("parallel", Set.of("config", "tensor", "checkpoint")),
              Map.entry(
                  "data",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "video",
                      "model.text",
                      "model.vae",
                      "data.bucket")),
              Map.entry("data.bucket", Set.of("config")),
              Map.entry(
                  "run",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "diffusion",
                      "diffusion.rflow",
                      "parallel",
                      "model.dit",
                      "model.stdit3",
                      "model.vae",
                      "data.bucket")),
              Map.entry(
                  "train",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "nn",
                      "video",
                      "data",
                      "data.bucket",
                      "diffusion",
                      "diffusion.rflow",
                      "parallel",
                      "run",
                      "model.dit",
                      "model.stdit3",
                      "model.text",
                      "model.vae",
                      "model.osvae")),
              Map.entry(
                  "pipeline",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "video",
                      "data.bucket",
                      "diffusion",
                      "diffusion.rflow",
                      "run",
                      "model.dit",
                      "model.text",
                      "model.vae",
                      "model.stdit3",
                      "model.osvae",
                      "model.t5")),
              Map.entry(
                  "bench",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "nn",
                      "video",
                      "data",
                      "diffusion",
                      "parallel",
                      "run",
                      "train",
                      "pipeline",
                      "model.dit",
                      "model.text",
                      "model.vae",
                      "model.stdit3",
                      "model.osvae",
                      "model.t5",
                      "diffusion.rflow",
                      "serve")),
              Map.entry("model.osvae", Set.of("nn", "tensor", "checkpoint", "model.vae", "video")),
              Map.entry("model.t5", Set.of("nn", "tensor", "checkpoint", "model.text")),
              Map.entry(
                  "serve",
                  Set.of(
                      "config",
                      "tensor",
                      "checkpoint",
                      "video",
                      "diffusion",
                      "run",
                      "pipeline",
                      "model.dit",
                      "model.text",
                      "model.vae"))));

  private static final Pattern USE =
      Pattern.compile("io\\.jsora\\.([a-z][a-z0-9]*(?:\\.[a-z][a-z0-9]*)*)");

  /**
   * The package a use names: its longest leading segments that have a rule, else the first (two
   * under model).
   */
  static String packageOf(String segments) {
    String[] s = segments.split("\\.");
    for (int n = s.length; n > 0; n--) {
      String p = String.join(".", Arrays.copyOf(s, n));
      if (ALLOWED.containsKey(p)) {
        return p;
      }
    }
    return s[0].equals("model") && s.length > 1 ? s[0] + "." + s[1] : s[0];
  }

  @Test
  void everyPackageUsesOnlyWhatItMay() throws IOException {
    Path root = Path.of("src/main/java/io/jsora");
    List<String> bad = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        String rel = root.relativize(f.getParent()).toString().replace('/', '.');
        if (rel.equals("cli") || f.getFileName().toString().equals("package-info.java")) {
          continue; // the command line may use everything; nothing may use it (checked below)
        }
        Set<String> allowed = ALLOWED.get(rel);
        assertTrue(
            allowed != null,
            "package io.jsora." + rel + " has no layering rule in ArchitectureTest");
        seen.add(rel);
        Matcher m = USE.matcher(Files.readString(f));
        while (m.find()) {
          String used = packageOf(m.group(1));
          if (!used.equals(rel) && !allowed.contains(used)) {
            bad.add(rel + "/" + f.getFileName() + " uses io.jsora." + used);
          }
        }
      }
    }
    assertTrue(
        seen.containsAll(List.of("config", "tensor", "diffusion", "run", "train", "model.dit")),
        "scanned " + seen);
    assertEquals(List.of(), bad.stream().distinct().toList());
  }

  /** Each package says in its package-info.java what it holds and may use. */
  @Test
  void everyPackageHasItsDocumentation() throws IOException {
    List<String> missing = new ArrayList<>();
    try (Stream<Path> dirs = Files.walk(Path.of("src/main/java/io/jsora"))) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        boolean hasSources;
        try (Stream<Path> fs = Files.list(d)) {
          hasSources = fs.anyMatch(f -> f.toString().endsWith(".java"));
        }
        if (hasSources && !Files.isRegularFile(d.resolve("package-info.java"))) {
          missing.add(d.toString());
        }
      }
    }
    assertEquals(List.of(), missing);
  }

  @Test
  void subPackagesHaveTheirOwnRule() {
    assertEquals("diffusion.rflow", packageOf("diffusion.rflow"));
    assertEquals("diffusion", packageOf("diffusion"));
    assertEquals("model.dit", packageOf("model.dit"));
    assertEquals("model.stdit3", packageOf("model.stdit3"));
    assertEquals("tensor", packageOf("tensor"));
    assertEquals("data.bucket", packageOf("data.bucket"));
  }
}
