package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  @Test
  void helpListsEveryCommand() {
    Cli r = Cli.run("--help");
    assertEquals(0, r.code());
    for (String name : Main.commandLine().getSubcommands().keySet()) {
      assertTrue(r.out().contains(name), "--help lists " + name + ":\n" + r.out());
    }
  }

  @Test
  void everyCommandAndSubcommandHasHelp() {
    List<String[]> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    assertTrue(paths.size() >= 4, "found commands: " + paths.size());
    for (String[] p : paths) {
      String[] args = new String[p.length + 1];
      System.arraycopy(p, 0, args, 0, p.length);
      args[p.length] = "--help";
      Cli r = Cli.run(args);
      assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.out().contains("Usage: jsora"), String.join(" ", args) + " prints usage");
    }
  }

  private static void collect(CommandLine cl, List<String> prefix, List<String[]> out) {
    for (var e : cl.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      List<String> p = new ArrayList<>(prefix);
      p.add(e.getKey());
      out.add(p.toArray(new String[0]));
      collect(e.getValue(), p, out);
    }
  }

  @Test
  void modelForwardHelpListsEveryKind() {
    Cli r = Cli.run("model", "forward", "--help");
    for (String kind :
        new String[] {
          "dit", "clip-text", "vqvae-encode", "vqvae-decode", "vae-encode", "vae-decode"
        }) {
      assertTrue(r.out().contains(kind), kind + " in:\n" + r.out());
    }
  }

  @Test
  void unknownCommandIsAUsageError() {
    Cli r = Cli.run("frobnicate");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unmatched argument"), r.err());
  }

  @Test
  void doctorReportsVersionsDeviceAndMemory() {
    Cli r = Cli.run("doctor");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("libtorch    2.10.0-1.5.13"), r.out());
    assertTrue(r.out().matches("(?s).*FFmpeg\\s+8\\.0.*"), r.out());
    assertTrue(r.out().contains("Arrow"), r.out());
    assertTrue(r.out().contains("device      cpu"), r.out());
    assertTrue(r.out().contains("threads     torch intra-op"), r.out());
    assertTrue(r.out().contains("available of"), r.out());
  }
}
