package io.jsora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  static final Map<String, Set<String>> ALLOWED = new TreeMap<>(Map.ofEntries(
      Map.entry("tensor", Set.of()),
      Map.entry("checkpoint", Set.of("tensor")),
      Map.entry("nn", Set.of("tensor")),
      Map.entry("diffusion", Set.of("tensor")),
      Map.entry("video", Set.of("tensor", "checkpoint")),
      Map.entry("model.dit", Set.of("nn", "tensor", "parallel")),
      Map.entry("model.text", Set.of("nn", "tensor", "checkpoint")),
      Map.entry("model.vae", Set.of("nn", "tensor", "checkpoint", "video")),
      Map.entry("parallel", Set.of("tensor", "checkpoint")),
      Map.entry("data", Set.of("tensor", "checkpoint", "video", "model.text", "model.vae")),
      Map.entry("train", Set.of("tensor", "checkpoint", "nn", "video", "data", "diffusion", "parallel", "model.dit", "model.text", "model.vae")),
      Map.entry("pipeline", Set.of("tensor", "checkpoint", "video", "diffusion", "train", "model.dit", "model.text", "model.vae")),
      Map.entry("serve", Set.of("tensor", "checkpoint", "video", "diffusion", "train", "pipeline", "model.dit", "model.text", "model.vae")),
      Map.entry("bench", Set.of("tensor", "checkpoint", "nn", "video", "data", "diffusion", "parallel", "train", "pipeline", "model.dit",
          "model.text", "model.vae", "serve"))));

  private static final Pattern USE = Pattern.compile("io\\.jsora\\.((?:model\\.)?[a-z]+)");

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
        assertTrue(allowed != null, "package io.jsora." + rel + " has no layering rule in ArchitectureTest");
        seen.add(rel);
        Matcher m = USE.matcher(Files.readString(f));
        while (m.find()) {
          String used = m.group(1);
          if (!used.equals(rel) && !allowed.contains(used)) {
            bad.add(rel + "/" + f.getFileName() + " uses io.jsora." + used);
          }
        }
      }
    }
    assertTrue(seen.containsAll(List.of("tensor", "diffusion", "train", "model.dit")), "scanned " + seen);
    assertEquals(List.of(), bad.stream().distinct().toList());
  }
}
