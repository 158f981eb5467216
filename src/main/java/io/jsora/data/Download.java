package io.jsora.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable HTTP download: bytes go to {@code FILE.part}, a dropped connection resumes with a
 * {@code Range} request (also across runs), the size is checked against what the server announced,
 * and the finished file is renamed into place and its SHA-256 recorded in {@code FILE.sha256}.
 * Connect and read timeouts bound every wait, so a machine without network gets a clear error in
 * seconds instead of a hang.
 */
public final class Download {
  private static final Logger log = LoggerFactory.getLogger(Download.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

  private Download() {}

  /**
   * Download settings.
   *
   * @param connectTimeoutMs how long to wait for a connection
   * @param readTimeoutMs how long a read may stall before the connection counts as dropped
   * @param retries how many times to resume after a dropped connection
   * @param retryDelayMs wait before resuming, multiplied by the attempt number
   * @param expectedSize the size the file must have; 0 = trust the server's announced size
   * @param expectedSha256 hex digest the file must have; null = only record it
   */
  public record Options(
      int connectTimeoutMs,
      int readTimeoutMs,
      int retries,
      long retryDelayMs,
      long expectedSize,
      String expectedSha256) {
    public static Options defaults() {
      return new Options(10_000, 30_000, 5, 2_000, 0, null);
    }

    public Options withRetryDelay(long ms) {
      return new Options(
          connectTimeoutMs, readTimeoutMs, retries, ms, expectedSize, expectedSha256);
    }

    public Options withTimeouts(int connectMs, int readMs) {
      return new Options(connectMs, readMs, retries, retryDelayMs, expectedSize, expectedSha256);
    }

    public Options withExpected(long size, String sha256) {
      return new Options(connectTimeoutMs, readTimeoutMs, retries, retryDelayMs, size, sha256);
    }
  }

  /**
   * What happened.
   *
   * @param file the finished file
   * @param bytes its size
   * @param sha256 its SHA-256 (hex)
   * @param resumes how many times a partial download was continued (within this run or from an
   *     earlier one)
   * @param alreadyPresent the file was already complete; nothing was fetched
   */
  public record Result(Path file, long bytes, String sha256, int resumes, boolean alreadyPresent) {}

  /**
   * Downloads {@code url} to {@code target}.
   *
   * @param progress makes a progress reporter for (total bytes or -1, bytes already present)
   */
  public static Result fetch(URI url, Path target, Options o, ProgressFactory progress)
      throws IOException {
    Path part = target.resolveSibling(target.getFileName() + ".part");
    Path shaFile = target.resolveSibling(target.getFileName() + ".sha256");
    if (Files.isRegularFile(target)
        && (o.expectedSize() <= 0 || Files.size(target) == o.expectedSize())) {
      String sha =
          Files.isRegularFile(shaFile)
              ? Files.readString(shaFile).trim().split("\\s+")[0]
              : sha256(target);
      checkSha(target, sha, o.expectedSha256());
      return new Result(target, Files.size(target), sha, 0, true);
    }
    Files.createDirectories(target.toAbsolutePath().getParent());
    int resumes = 0;
    int failures = 0;
    long total = -1;
    while (true) {
      long have = Files.isRegularFile(part) ? Files.size(part) : 0;
      if (have > 0) {
        resumes++;
      }
      HttpURLConnection c;
      try {
        c = (HttpURLConnection) url.toURL().openConnection();
      } catch (IllegalArgumentException e) {
        throw new IOException("bad URL " + url + ": " + e.getMessage(), e);
      }
      c.setConnectTimeout(o.connectTimeoutMs());
      c.setReadTimeout(o.readTimeoutMs());
      c.setInstanceFollowRedirects(true);
      c.setRequestProperty("User-Agent", "jsora");
      c.setRequestProperty("Accept-Encoding", "identity");
      if (have > 0) {
        c.setRequestProperty("Range", "bytes=" + have + "-");
      }
      int code;
      try {
        code = c.getResponseCode();
      } catch (UnknownHostException e) {
        throw new IOException(
            "cannot resolve host " + url.getHost() + " (no network or DNS?) while fetching " + url,
            e);
      } catch (ConnectException | NoRouteToHostException e) {
        throw new IOException(
            "cannot connect to "
                + hostPort(url)
                + " ("
                + e.getMessage()
                + "); check the network or the URL",
            e);
      } catch (SocketTimeoutException e) {
        if (have == 0 && failures == 0) {
          throw new IOException(
              "no answer from "
                  + hostPort(url)
                  + " within "
                  + o.connectTimeoutMs() / 1000.0
                  + " s (no network?); "
                  + url,
              e);
        }
        if (++failures > o.retries()) {
          throw new IOException(
              "gave up on " + url + " after " + failures + " attempts: " + e.getMessage(), e);
        }
        pause(o, failures);
        continue;
      }
      boolean append;
      if (code == HttpURLConnection.HTTP_PARTIAL) {
        Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
        if (!m.find() || Long.parseLong(m.group(1)) != have) {
          c.disconnect();
          throw new IOException(
              url
                  + ": the server answered a resume from byte "
                  + have
                  + " with Content-Range "
                  + c.getHeaderField("Content-Range"));
        }
        if (!m.group(3).equals("*")) {
          total = Long.parseLong(m.group(3));
        }
        append = true;
      } else if (code == HttpURLConnection.HTTP_OK) {
        if (have > 0) {
          log.info("the server does not resume partial downloads; starting {} again", url);
          resumes--;
        }
        total = c.getContentLengthLong();
        append = false;
        have = 0;
      } else if (code == 416 && have > 0) {
        // nothing left to send: the part file may already be whole
        Matcher m =
            CONTENT_RANGE.matcher(
                String.valueOf(c.getHeaderField("Content-Range")).replace("*", "0-0"));
        c.disconnect();
        long announced = m.find() ? Long.parseLong(m.group(3)) : -1;
        if (announced == have) {
          total = have;
          break;
        }
        Files.delete(part);
        resumes--;
        continue;
      } else {
        String msg = c.getResponseMessage();
        c.disconnect();
        throw new IOException(url + ": HTTP " + code + (msg == null ? "" : " " + msg));
      }
      if (o.expectedSize() > 0 && total > 0 && total != o.expectedSize()) {
        c.disconnect();
        throw new IOException(
            url + ": the server announces " + total + " bytes, expected " + o.expectedSize());
      }
      try (Progress p = progress.create(total, have);
          InputStream in = c.getInputStream();
          OutputStream out =
              Files.newOutputStream(
                  part,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE,
                  append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          p.step(n);
        }
      } catch (IOException e) {
        long now = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (++failures > o.retries()) {
          throw new IOException(
              "download of "
                  + url
                  + " failed after "
                  + failures
                  + " attempts at "
                  + now
                  + " bytes ("
                  + e.getMessage()
                  + "); run the command again to resume",
              e);
        }
        log.warn(
            "connection lost at {} bytes ({}); resuming, attempt {}/{}",
            now,
            e.getMessage(),
            failures,
            o.retries());
        pause(o, failures);
        continue;
      } finally {
        c.disconnect();
      }
      long size = Files.size(part);
      if (total >= 0 && size < total) {
        if (++failures > o.retries()) {
          throw new IOException(
              url
                  + ": connection closed at "
                  + size
                  + " of "
                  + total
                  + " bytes "
                  + failures
                  + " times; run again to resume");
        }
        log.warn("connection closed early at {} of {} bytes; resuming", size, total);
        pause(o, failures);
        continue;
      }
      if (total >= 0 && size > total) {
        Files.delete(part);
        throw new IOException(
            url
                + ": received "
                + size
                + " bytes, more than the announced "
                + total
                + "; the partial file was removed");
      }
      total = size;
      break;
    }
    long size = Files.size(part);
    if (o.expectedSize() > 0 && size != o.expectedSize()) {
      throw new IOException(part + ": " + size + " bytes, expected " + o.expectedSize());
    }
    String sha = sha256(part);
    checkSha(part, sha, o.expectedSha256());
    io.jsora.checkpoint.AtomicFiles.moveAtomically(part, target);
    io.jsora.checkpoint.AtomicFiles.writeString(shaFile, sha + "  " + target.getFileName() + "\n");
    return new Result(target, size, sha, Math.max(0, resumes), false);
  }

  /**
   * Makes a progress reporter for a transfer of {@code total} bytes (-1 = unknown), {@code done}
   * already present.
   */
  @FunctionalInterface
  public interface ProgressFactory {
    Progress create(long total, long done);

    ProgressFactory NONE = (t, d) -> Progress.NONE;
  }

  private static void checkSha(Path file, String sha, String expected) throws IOException {
    if (expected != null && !expected.isBlank() && !expected.trim().equalsIgnoreCase(sha)) {
      throw new IOException(
          file
              + ": SHA-256 "
              + sha
              + ", expected "
              + expected.trim()
              + " (delete it to download again)");
    }
  }

  private static void pause(Options o, int attempt) throws IOException {
    try {
      Thread.sleep(o.retryDelayMs() * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String hostPort(URI url) {
    return url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
  }

  /** Hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
