package io.jsora.cli;

import io.jsora.serve.PipelineGenerator;
import io.jsora.serve.ServeConfig;
import io.jsora.serve.VideoServer;
import io.jsora.tensor.DeviceSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora serve}: the generation service and its page. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serve a checkpoint over HTTP: an OpenAI-style /v1/videos API, /v1/models, /health, /openapi.json and a web page at /.",
      "Jobs queue and persist under --outputs; a restart keeps finished videos and re-runs unfinished ones. SIGTERM stops gracefully."
    })
public final class ServeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--ckpt",
      required = true,
      paramLabel = "DIR",
      description = "A checkpoint (step-N directory) or a run's checkpoint directory (its latest).")
  Path ckpt;

  @Option(names = "--ema", description = "Generate with the EMA weights.")
  boolean ema;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description =
          "Address to bind; anything but loopback needs --token-file (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8080",
      description = "TCP port, 0 = any free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--outputs",
      defaultValue = "jsora-serve",
      paramLabel = "DIR",
      description = "Where jobs and videos persist (default: ${DEFAULT-VALUE}).")
  Path outputs;

  @Option(
      names = "--max-queue",
      defaultValue = "16",
      description = "Jobs that may wait; more get 429 (default: ${DEFAULT-VALUE}).")
  int maxQueue;

  @Option(
      names = "--max-concurrent",
      defaultValue = "1",
      description =
          "Jobs run at once, each with its own copy of the model (default: ${DEFAULT-VALUE}).")
  int maxConcurrent;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "A file holding the bearer token every API request must carry (at least 16 characters).")
  Path tokenFile;

  @Option(
      names = "--cors",
      paramLabel = "ORIGIN",
      description =
          "Allow cross-origin requests from this one origin, e.g. http://localhost:3000 (default: none).")
  String cors;

  @Option(
      names = "--max-body",
      defaultValue = "65536",
      description = "Largest request body in bytes (default: ${DEFAULT-VALUE}).")
  long maxBody;

  @Option(
      names = "--grace",
      defaultValue = "30",
      description =
          "Seconds SIGTERM waits for running jobs before re-queueing them (default: ${DEFAULT-VALUE}).")
  long graceSeconds;

  @Option(
      names = "--max-prompt-chars",
      defaultValue = "2000",
      description = "Longest prompt accepted (default: ${DEFAULT-VALUE}).")
  int maxPromptChars;

  @Option(
      names = "--max-frames",
      defaultValue = "256",
      description = "Most frames per video (default: ${DEFAULT-VALUE}).")
  int maxFrames;

  @Option(
      names = "--max-size",
      defaultValue = "1024",
      description = "Largest width or height in pixels (default: ${DEFAULT-VALUE}).")
  int maxSide;

  @Option(
      names = "--max-steps",
      defaultValue = "1000",
      description =
          "Most denoising steps (default: ${DEFAULT-VALUE}, and at most the checkpoint's).")
  int maxSteps;

  @Option(
      names = "--default-steps",
      defaultValue = "50",
      description = "Steps when a request gives none (default: ${DEFAULT-VALUE}).")
  int defaultSteps;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  DeviceSpec device;

  @Override
  public Integer call() throws Exception {
    Optional<String> token = Optional.empty();
    if (tokenFile != null) {
      if (!Files.isRegularFile(tokenFile)) {
        throw new IllegalArgumentException("--token-file " + tokenFile + ": no such file");
      }
      token = Optional.of(Files.readString(tokenFile).strip());
    }
    ServeConfig cfg =
        new ServeConfig(
            ckpt,
            ema,
            device,
            host,
            port,
            outputs,
            maxQueue,
            maxConcurrent,
            token,
            Optional.ofNullable(cors),
            maxBody,
            Duration.ofSeconds(graceSeconds),
            maxPromptChars,
            maxFrames,
            maxSide,
            maxSteps,
            defaultSteps);
    PrintWriter out = spec.commandLine().getOut();
    PipelineGenerator gen =
        PipelineGenerator.load(
            cfg.checkpoint(), cfg.ema(), cfg.device(), cfg.maxConcurrent(), Environment.hubCache());
    VideoServer server;
    try {
      server = VideoServer.start(cfg, gen);
    } catch (Exception e) {
      gen.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM or SIGINT: stop accepting, finish or re-queue running jobs, then exit 0
                  System.err.println("serve: stopping (grace " + graceSeconds + " s)");
                  server.close();
                  gen.close();
                  stopped.countDown();
                  System.err.println("serve: stopped");
                  System.err.flush();
                  Runtime.getRuntime().halt(0);
                },
                "jsora-serve-shutdown"));
    out.printf(
        "serving %s on %s (page at %s/, outputs %s, %s)%n",
        gen.model().id(),
        server.uri(),
        server.uri(),
        cfg.outputs().toAbsolutePath(),
        token.isPresent() ? "bearer token required" : "no token");
    out.flush();
    stopped.await();
    return 0;
  }
}
