package io.jsora.cli;

import io.jsora.data.MsrVtt;
import io.jsora.data.Progress;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora data download-msrvtt} and {@code jsora data collate-msrvtt}. */
final class MsrVttCommands {
  private MsrVttCommands() {}

  @Command(
      name = "download-msrvtt",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "Download MSR-VTT (MSRVTT.zip, several GB) into DIR and unzip it to DIR/MSRVTT. Resumable: an interrupted download continues where it stopped (also after a new start); the size is checked, the SHA-256 recorded in MSRVTT.zip.sha256 (and checked with --sha256).")
  static final class Download implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-d", "--dir"},
        defaultValue = "dataset",
        paramLabel = "DIR",
        description = "Where to put MSRVTT.zip and the unpacked MSRVTT/.")
    Path dir;

    @Option(
        names = "--url",
        paramLabel = "URL",
        description = "Archive URL (default: the reference's, ${DEFAULT-VALUE}).")
    URI url = MsrVtt.URL;

    @Option(
        names = "--retries",
        defaultValue = "5",
        description = "Resumes after a dropped connection before giving up.")
    int retries;

    @Option(
        names = "--connect-timeout",
        defaultValue = "10",
        paramLabel = "S",
        description = "Seconds to wait for a connection.")
    int connectTimeout;

    @Option(
        names = "--read-timeout",
        defaultValue = "30",
        paramLabel = "S",
        description = "Seconds a stalled transfer may wait before it is resumed.")
    int readTimeout;

    @Option(
        names = "--size",
        defaultValue = "0",
        paramLabel = "BYTES",
        description = "Expected archive size (0: the size the server announces).")
    long size;

    @Option(
        names = "--sha256",
        paramLabel = "HEX",
        description = "Expected SHA-256 of the archive.")
    String sha256;

    @Option(names = "--no-unzip", description = "Only download.")
    boolean noUnzip;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      Files.createDirectories(dir);
      Path zip = dir.resolve(fileName(url));
      io.jsora.data.Download.Options o =
          new io.jsora.data.Download.Options(
              connectTimeout * 1000, readTimeout * 1000, retries, 2000, size, sha256);
      io.jsora.data.Download.Result r =
          io.jsora.data.Download.fetch(
              url,
              zip,
              o,
              (total, done) ->
                  Progress.console(
                      "download", total, done, "B", true, System.err, Environment.progressBar()));
      out.printf(
          "%s: %d bytes, sha256 %s%s%n",
          r.file(),
          r.bytes(),
          r.sha256(),
          r.alreadyPresent()
              ? " (already downloaded)"
              : r.resumes() > 0 ? " (resumed " + r.resumes() + " time(s))" : "");
      if (!noUnzip) {
        int n;
        try (Progress p =
            Progress.console(
                "unzip", Files.size(zip), 0, "B", true, System.err, Environment.progressBar())) {
          n = MsrVtt.unzip(zip, dir, p);
        }
        out.printf("unzipped %d new file(s) into %s%n", n, dir);
        Path root = dir.resolve("MSRVTT");
        out.printf(
            "next: jsora data collate-msrvtt -d %s -o %s%n",
            Files.isDirectory(root) ? root : dir, dir.resolve("msrvtt"));
      }
      out.flush();
      return 0;
    }

    private static String fileName(URI u) {
      String p = u.getPath();
      String name = p == null ? "" : p.substring(p.lastIndexOf('/') + 1);
      return name.isEmpty() ? "MSRVTT.zip" : name;
    }
  }

  @Command(
      name = "collate-msrvtt",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "Collate unpacked MSR-VTT into OUT/{train,val,test}/annotations.json (captions grouped per video, the format jsora preprocess reads) and OUT/{split}/videos/ (hard links where possible, else copies). Prints counts per split and the ids that no split lists.")
  static final class Collate implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-d", "--data-path"},
        required = true,
        paramLabel = "IN",
        description = "The unpacked MSRVTT directory.")
    Path in;

    @Option(
        names = {"-o", "--output-path"},
        required = true,
        paramLabel = "OUT",
        description = "Output directory.")
    Path out;

    @Option(names = "--copy", description = "Copy videos even where hard links are possible.")
    boolean copy;

    @Override
    public Integer call() throws Exception {
      MsrVtt.Summary s;
      try (Progress p =
          Progress.console(
              "collate", 0, 0, "videos", false, System.err, Environment.progressBar())) {
        s = MsrVtt.collate(in, out, copy, p);
      }
      PrintWriter o = spec.commandLine().getOut();
      for (String split : MsrVtt.SPLITS) {
        o.printf(
            "%-5s %6d videos %7d captions%s  -> %s%n",
            split,
            s.videos().get(split),
            s.captions().get(split),
            s.missingVideos().get(split).isEmpty()
                ? ""
                : ", " + s.missingVideos().get(split).size() + " listed without a video file",
            out.resolve(split).resolve("annotations.json"));
      }
      o.printf("videos: %d hard-linked, %d copied%n", s.links(), s.copies());
      line(o, "captioned ids in no split", s.noSplit());
      line(o, "listed ids without captions", s.noCaptions());
      line(o, "ids in several splits (kept in the first)", s.inSeveralSplits());
      for (Map.Entry<String, List<String>> e : s.missingVideos().entrySet()) {
        line(o, e.getKey() + " ids without a video file", e.getValue());
      }
      o.printf("summary: %s%n", out.resolve("collate-summary.json"));
      o.flush();
      return 0;
    }

    private static void line(PrintWriter o, String what, List<String> ids) {
      if (ids.isEmpty()) {
        return;
      }
      o.printf(
          "%s: %d (%s%s)%n",
          what,
          ids.size(),
          String.join(", ", ids.subList(0, Math.min(10, ids.size()))),
          ids.size() > 10 ? ", ..." : "");
    }
  }
}
