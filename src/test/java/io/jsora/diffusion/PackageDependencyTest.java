package io.jsora.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The layering rule: diffusion uses only {@code io.jsora.tensor}; train adds only {@code io.jsora.checkpoint}. */
class PackageDependencyTest {
  private static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?(io\\.jsora\\.[a-z.]+?)\\.[A-Z]");

  private static List<String> violations(String pkg, List<String> allowed) throws IOException {
    List<String> bad = new ArrayList<>();
    Path dir = Path.of("src/main/java/io/jsora/" + pkg);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().equals("package-info.java")) {
          continue; // documentation names the packages it must not use
        }
        String src = Files.readString(f);
        Matcher m = IMPORT.matcher(src);
        while (m.find()) {
          String used = m.group(1);
          if (!used.equals("io.jsora." + pkg) && !allowed.contains(used)) {
            bad.add(f.getFileName() + " imports " + used);
          }
        }
        // fully qualified references too
        Matcher q = Pattern.compile("io\\.jsora\\.(model|data|parallel|pipeline|cli|video|nn)\\b").matcher(src);
        while (q.find()) {
          bad.add(f.getFileName() + " refers to io.jsora." + q.group(1));
        }
      }
    }
    return bad;
  }

  @Test
  void diffusionDependsOnlyOnTensor() throws IOException {
    assertEquals(List.of(), violations("diffusion", List.of("io.jsora.tensor")));
  }

  @Test
  void trainInfrastructureDependsOnlyOnTensorAndCheckpoint() throws IOException {
    assertEquals(List.of(), violations("train", List.of("io.jsora.tensor", "io.jsora.checkpoint")));
  }
}
