package io.jsora.serve;

import io.jsora.tensor.DeviceSpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How {@code jsora serve} runs, from its command-line flags.
 *
 * @param checkpoint a checkpoint ({@code step-N} directory) or a run directory (its latest)
 * @param ema generate with the EMA weights
 * @param device the device the models run on
 * @param host the address to bind; anything but loopback needs a token
 * @param port TCP port; 0 picks a free one
 * @param outputs where jobs and their videos persist
 * @param maxQueue jobs that may wait (not counting running ones) before submissions get 429
 * @param maxConcurrent workers, each with its own copy of the model
 * @param token the bearer token every API request must carry, or empty for none (loopback only)
 * @param corsOrigin the one origin allowed cross-origin requests, or empty for no CORS
 * @param maxBodyBytes the largest request body accepted (larger: 413)
 * @param grace how long SIGTERM waits for running jobs before re-queueing them
 * @param maxPromptChars the longest prompt accepted
 * @param maxFrames the most frames a job may ask for
 * @param maxSide the largest width or height in pixels
 * @param maxSteps the most denoising steps (also bounded by the checkpoint's diffusion steps)
 * @param defaultSteps steps when a request gives none
 */
public record ServeConfig(
    Path checkpoint,
    boolean ema,
    DeviceSpec device,
    String host,
    int port,
    Path outputs,
    int maxQueue,
    int maxConcurrent,
    Optional<String> token,
    Optional<String> corsOrigin,
    long maxBodyBytes,
    Duration grace,
    int maxPromptChars,
    int maxFrames,
    int maxSide,
    int maxSteps,
    int defaultSteps) {
  /** A token shorter than this is refused: it would be guessable. */
  public static final int MIN_TOKEN_CHARS = 16;

  public ServeConfig {
    check(port >= 0 && port <= 65535, "--port must be in 0..65535, got " + port);
    check(maxQueue >= 1, "--max-queue must be >= 1, got " + maxQueue);
    check(maxConcurrent >= 1, "--max-concurrent must be >= 1, got " + maxConcurrent);
    check(maxBodyBytes >= 1024, "the body limit must be >= 1024 bytes, got " + maxBodyBytes);
    check(!grace.isNegative(), "--grace must be >= 0 s, got " + grace);
    check(
        maxPromptChars >= 1 && maxFrames >= 1 && maxSide >= 1 && maxSteps >= 1,
        "prompt, frame, size and step limits must be >= 1, got "
            + maxPromptChars
            + ", "
            + maxFrames
            + ", "
            + maxSide
            + ", "
            + maxSteps);
    check(
        defaultSteps >= 1 && defaultSteps <= maxSteps,
        "--default-steps must be in 1.." + maxSteps + ", got " + defaultSteps);
    token.ifPresent(
        t ->
            check(
                t.length() >= MIN_TOKEN_CHARS && t.strip().equals(t),
                "the token must be at least "
                    + MIN_TOKEN_CHARS
                    + " characters without surrounding blanks, got "
                    + t.length()));
    corsOrigin.ifPresent(
        o ->
            check(
                o.matches("https?://[A-Za-z0-9.-]+(:[0-9]+)?"),
                "--cors must be an origin like http://host:port, got " + o));
    check(
        token.isPresent() || loopback(host),
        "--host " + host + " is not a loopback address: binding to it needs --token-file");
  }

  /** Defaults for everything but the checkpoint, the outputs and the port. */
  public static ServeConfig defaults(Path checkpoint, Path outputs, int port) {
    return new ServeConfig(
        checkpoint,
        false,
        DeviceSpec.AUTO,
        "127.0.0.1",
        port,
        outputs,
        16,
        1,
        Optional.empty(),
        Optional.empty(),
        64 * 1024,
        Duration.ofSeconds(30),
        2000,
        256,
        1024,
        1000,
        50);
  }

  public ServeConfig withToken(String t) {
    return new ServeConfig(
        checkpoint,
        ema,
        device,
        host,
        port,
        outputs,
        maxQueue,
        maxConcurrent,
        Optional.of(t),
        corsOrigin,
        maxBodyBytes,
        grace,
        maxPromptChars,
        maxFrames,
        maxSide,
        maxSteps,
        defaultSteps);
  }

  public ServeConfig withMaxQueue(int q) {
    return new ServeConfig(
        checkpoint,
        ema,
        device,
        host,
        port,
        outputs,
        q,
        maxConcurrent,
        token,
        corsOrigin,
        maxBodyBytes,
        grace,
        maxPromptChars,
        maxFrames,
        maxSide,
        maxSteps,
        defaultSteps);
  }

  public ServeConfig withDevice(DeviceSpec d) {
    return new ServeConfig(
        checkpoint,
        ema,
        d,
        host,
        port,
        outputs,
        maxQueue,
        maxConcurrent,
        token,
        corsOrigin,
        maxBodyBytes,
        grace,
        maxPromptChars,
        maxFrames,
        maxSide,
        maxSteps,
        defaultSteps);
  }

  public ServeConfig withOutputs(Path o) {
    return new ServeConfig(
        checkpoint,
        ema,
        device,
        host,
        port,
        o,
        maxQueue,
        maxConcurrent,
        token,
        corsOrigin,
        maxBodyBytes,
        grace,
        maxPromptChars,
        maxFrames,
        maxSide,
        maxSteps,
        defaultSteps);
  }

  /** Whether {@code host} names a loopback address (resolved; an unknown name is not loopback). */
  static boolean loopback(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Never prints the token. */
  @Override
  public String toString() {
    return "ServeConfig[checkpoint="
        + checkpoint
        + ", host="
        + host
        + ", port="
        + port
        + ", outputs="
        + outputs
        + ", maxQueue="
        + maxQueue
        + ", maxConcurrent="
        + maxConcurrent
        + ", token="
        + (token.isPresent() ? "set" : "none")
        + ", cors="
        + corsOrigin.orElse("none")
        + "]";
  }
}
