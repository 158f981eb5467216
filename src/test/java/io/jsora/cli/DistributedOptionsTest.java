package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsora.parallel.ParallelOptions;
import io.jsora.parallel.SpMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class DistributedOptionsTest {
  @Command(name = "train")
  static final class Train {
    @Mixin DistributedOptions dist;
  }

  @Test
  void defaultsAndParsing() {
    Train t = new Train();
    new CommandLine(t).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
    ParallelOptions o = t.dist.toOptions();
    assertEquals(1, o.spSize());
    assertEquals(Duration.ofSeconds(120), o.timeout());
    assertEquals(SpMode.ULYSSES, t.dist.spMode);
    assertEquals(0, t.dist.zero);

    Train u = new Train();
    new CommandLine(u)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .parseArgs(
            "--sp-size", "4", "--sp-mode", "fastseq", "--zero", "2", "--dist-timeout", "7.5");
    assertEquals(4, u.dist.toOptions().spSize());
    assertEquals(Duration.ofMillis(7500), u.dist.toOptions().timeout());
    assertEquals(SpMode.FASTSEQ, u.dist.spMode);

    Train v = new Train();
    new CommandLine(v).parseArgs("--zero", "1");
    assertThrows(IllegalArgumentException.class, () -> v.dist.toOptions());
  }
}
