package io.jsora.cli;

import io.jsora.bench.BenchRecord;
import io.jsora.bench.Report;
import io.jsora.bench.ServeBench;
import io.jsora.model.dit.Arch;
import io.jsora.tensor.DeviceSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora bench serve}: the HTTP service under concurrent clients on loopback. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "jsora serve under load on loopback: --clients threads submit --jobs jobs in total and poll each until it ends.",
      "Reports jobs/s, queue wait and p50/p99 latency of GET /v1/videos/{id}. Without --checkpoint a tiny model is trained for one step."
    })
public final class BenchServeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--checkpoint",
      paramLabel = "DIR",
      description = "A checkpoint to serve (default: a fresh --model/--arch).")
  Path checkpoint;

  @Option(
      names = "--model",
      defaultValue = "DiT-T/4",
      description = "DiT preset without --checkpoint (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--arch",
      defaultValue = "cross-attn",
      description = "Conditioning without --checkpoint (default: ${DEFAULT-VALUE}).")
  Arch arch;

  @Option(
      names = "--frames",
      defaultValue = "4",
      description = "Frames per job (default: ${DEFAULT-VALUE}).")
  int frames;

  @Option(
      names = "--size",
      defaultValue = "16",
      description = "Width and height per job in pixels (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(
      names = "--steps",
      defaultValue = "2",
      description = "Denoising steps per job (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--clients",
      defaultValue = "32",
      description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--jobs",
      defaultValue = "200",
      description = "Jobs in total (default: ${DEFAULT-VALUE}).")
  int jobs;

  @Option(
      names = "--max-queue",
      defaultValue = "16",
      description =
          "The server's queue bound; clients retry a 429 after 200 ms (default: ${DEFAULT-VALUE}).")
  int maxQueue;

  @Option(
      names = "--max-concurrent",
      defaultValue = "1",
      description = "The server's workers (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  DeviceSpec device;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Also write the records as a JSON list.")
  Path json;

  @Override
  public Integer call() throws Exception {
    ServeBench.Options o =
        new ServeBench.Options(
            checkpoint,
            model,
            arch,
            frames,
            size,
            size,
            steps,
            clients,
            jobs,
            maxQueue,
            workers,
            device);
    List<BenchRecord> records = ServeBench.run(o);
    PrintWriter out = spec.commandLine().getOut();
    Report.table(records, out);
    Map<String, Object> j = records.get(0).extra();
    Map<String, Object> s = records.get(1).extra();
    out.printf(
        Locale.ROOT,
        "%.2f jobs/s (%s completed, %s answers 429); queue wait p50 %s, p99 %s; status route p50 %s, p99 %s over %s requests; "
            + "resident %.0f MiB before, %.0f MiB after%n",
        (Double) j.get("jobs_per_s"),
        j.get("completed"),
        j.get("rejected_429"),
        Report.seconds((Double) j.get("queue_wait_p50_s")),
        Report.seconds((Double) j.get("queue_wait_p99_s")),
        Report.seconds((Double) s.get("p50_s")),
        Report.seconds((Double) s.get("p99_s")),
        s.get("requests"),
        (Double) j.get("rss_before_mib"),
        (Double) j.get("rss_after_mib"));
    if (json != null) {
      Report.writeJson(records, json);
      out.println("wrote " + json);
    }
    out.flush();
    return 0;
  }
}
