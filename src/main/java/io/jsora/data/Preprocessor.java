package io.jsora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.video.BadVideoException;
import io.jsora.video.DecodeOptions;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a captions file and a video directory into a dataset in the Hugging Face {@code datasets}
 * {@code save_to_disk} layout: one row per (video, caption) pair with {@code video_file}, {@code
 * text_latent_states}, optionally {@code video_latent_states}, and {@code video_size}.
 *
 * <p>How it works:
 *
 * <ul>
 *   <li>Videos are split into {@code shards} contiguous ranges (shard {@code s} holds videos {@code
 *       [s·V/N, (s+1)·V/N)}), so the output does not depend on how many processes made it; process
 *       {@code rank} of {@code world} takes the shards with {@code s % world == rank}.
 *   <li>Each video is decoded once (in background threads, ahead of the encoder) to check it and
 *       measure it; its captions are encoded in batches; with a {@link LatentSpec} its latent is
 *       computed once and stored with each of its captions.
 *   <li>A bad video (missing, empty, not a video, truncated, corrupt, too long, too small for the
 *       compressor) is skipped and reported in {@code skipped.jsonl} with its reason; so are
 *       malformed caption lines, with their line numbers.
 *   <li>Crash safety: a shard is written to {@code data-…arrow.partial}, one record batch per chunk
 *       of videos; after each batch is on disk, a line recording the committed length is appended
 *       to the shard's journal in {@code .jsora-progress/} and forced to disk. A finished shard is
 *       renamed into place. Killed at any moment and run again with {@code resume}, the writer cuts
 *       the partial file back to the last journalled length and continues with the next video, so
 *       every pair is written exactly once.
 *   <li>When every shard is in place, {@code dataset_info.json}, {@code state.json}, {@code
 *       skipped.jsonl} and {@code jsora.json} (which text encoder and compressor made the dataset,
 *       counts) are written.
 * </ul>
 */
public final class Preprocessor {
  private static final Logger log = LoggerFactory.getLogger(Preprocessor.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The directory of journals and the run's settings. */
  public static final String PROGRESS_DIR = ".jsora-progress";

  /** A video or caption line left out, and why. */
  public record Skip(String file, int line, String reason, String detail) {}

  /**
   * What a run did.
   *
   * @param videos videos listed (all shards)
   * @param videosProcessed videos this run decoded (its shards, not counting resumed work)
   * @param pairsWritten rows this run wrote
   * @param rowsTotal rows in the finished dataset (-1 until every shard is done)
   * @param skipped skips in this run's shards plus caption-file problems
   * @param shardsDone shards in place (any process)
   * @param shards shards in the dataset
   * @param complete whether the dataset is finished (metadata written)
   * @param seconds wall time of this run
   */
  public record Summary(
      int videos,
      int videosProcessed,
      long pairsWritten,
      long rowsTotal,
      List<Skip> skipped,
      int shardsDone,
      int shards,
      boolean complete,
      double seconds) {
    public double videosPerSecond() {
      return seconds > 0 ? videosProcessed / seconds : 0;
    }

    public double pairsPerSecond() {
      return seconds > 0 ? pairsWritten / seconds : 0;
    }
  }

  private final PreprocessConfig cfg;
  private final TextEncoder text;
  private final LatentSpec latent;
  private final Device device;

  /**
   * @param text encodes the captions (not closed here)
   * @param latent how to cache video latents, or null to store none
   * @param device where videos go for the compressor (ignored without {@code latent})
   */
  public Preprocessor(PreprocessConfig cfg, TextEncoder text, LatentSpec latent, Device device) {
    this.cfg = cfg;
    this.text = text;
    this.latent = latent;
    this.device = device;
  }

  /** Runs this process's share; see the class comment. */
  public Summary run(Progress progress) throws IOException {
    long t0 = System.nanoTime();
    CaptionsFile.Contents contents = CaptionsFile.read(cfg.captions());
    List<CaptionsFile.Entry> videos = contents.entries();
    checkVideos(videos, cfg.captions(), cfg.videoDir());
    List<HfDataset.Column> columns = HfDataset.columns(cfg.pooled(), latent);
    Path out = cfg.out();
    Path progressDir = out.resolve(PROGRESS_DIR);
    prepareOutput(out, progressDir);
    int n = cfg.shards();
    if (n > Math.max(1, videos.size())) {
      throw new IllegalArgumentException(
          "--num-shards "
              + n
              + " is more than the "
              + videos.size()
              + " videos in "
              + cfg.captions());
    }
    List<Integer> mine = new ArrayList<>();
    for (int s = cfg.rank(); s < n; s += cfg.world()) {
      mine.add(s);
    }
    long todo = 0;
    for (int s : mine) {
      if (!Files.exists(out.resolve(HfDataset.shardName(s, n)))) {
        todo += end(s, videos.size()) - start(s, videos.size()) - committed(progressDir, s).videos;
      }
    }
    progress.max(todo);
    List<Skip> skipped = new ArrayList<>();
    for (CaptionsFile.Problem p : contents.problems()) {
      skipped.add(new Skip(null, p.line(), p.reason(), p.detail()));
    }
    int[] processed = {0};
    long[] pairs = {0};
    for (int s : mine) {
      shard(s, videos, columns, progressDir, skipped, processed, pairs, progress);
    }
    int done = 0;
    for (int s = 0; s < n; s++) {
      done += Files.exists(out.resolve(HfDataset.shardName(s, n))) ? 1 : 0;
    }
    long rows = -1;
    if (done == n) {
      rows = finish(contents, columns, progressDir);
    } else {
      log.info(
          "{} of {} shards done; the last process to finish writes the dataset metadata", done, n);
    }
    if (rows == 0) {
      throw new IOException(noPairs(videos, progressDir));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Summary(
        videos.size(), processed[0], pairs[0], rows, skipped, done, n, done == n, seconds);
  }

  /** Most listed files probed when looking for the folder that holds them. */
  private static final int PROBED_FILES = 1000;

  /**
   * Fails when none of the videos {@code cfg.captions()} lists is in {@code cfg.videoDir()} (such a
   * run could only write an empty dataset), saying how many are missing and, when a folder below
   * the video directory holds them, which. Call it before writing anything into the output.
   */
  public static void checkVideos(PreprocessConfig cfg) throws IOException {
    checkVideos(CaptionsFile.read(cfg.captions()).entries(), cfg.captions(), cfg.videoDir());
  }

  private static void checkVideos(List<CaptionsFile.Entry> videos, Path captions, Path dir)
      throws IOException {
    if (videos.isEmpty()) {
      return;
    }
    for (CaptionsFile.Entry e : videos) {
      if (Files.exists(dir.resolve(e.file()))) {
        return;
      }
    }
    String where = Files.isDirectory(dir) ? "" : " (the directory does not exist)";
    throw new IOException(
        "none of the "
            + videos.size()
            + " videos listed in "
            + captions
            + " is in "
            + dir
            + where
            + ": "
            + videos.size()
            + " missing, e.g. "
            + dir.resolve(videos.get(0).file())
            + suggestFolder(videos, dir));
  }

  /**
   * "; DIR holds K of them: use it as the video directory" for the folder up to two levels below
   * {@code dir} that holds the most listed files missing from {@code dir}, or "" when none holds
   * any.
   */
  static String suggestFolder(List<CaptionsFile.Entry> videos, Path dir) throws IOException {
    List<String> missing = new ArrayList<>();
    for (CaptionsFile.Entry e : videos) {
      if (missing.size() < PROBED_FILES && !Files.exists(dir.resolve(e.file()))) {
        missing.add(e.file());
      }
    }
    if (missing.isEmpty() || !Files.isDirectory(dir)) {
      return "";
    }
    List<Path> folders;
    try (java.util.stream.Stream<Path> walk = Files.walk(dir, 2)) {
      folders =
          walk.filter(f -> !f.equals(dir) && Files.isDirectory(f)).sorted().limit(500).toList();
    }
    Path best = null;
    int found = 0;
    for (Path f : folders) {
      int k = 0;
      for (String m : missing) {
        k += Files.isRegularFile(f.resolve(m)) ? 1 : 0;
      }
      if (k > found) {
        best = f;
        found = k;
      }
    }
    return best == null
        ? ""
        : "; "
            + best
            + " holds "
            + found
            + " of the "
            + missing.size()
            + " missing files: use it as the video directory";
  }

  /** Why a finished dataset has no row: the skips by reason, and where missing videos may be. */
  private String noPairs(List<CaptionsFile.Entry> videos, Path progressDir) throws IOException {
    Map<String, Integer> reasons = new java.util.TreeMap<>();
    for (int s = 0; s < cfg.shards(); s++) {
      for (Skip k : committed(progressDir, s).skipped()) {
        reasons.merge(k.reason(), 1, Integer::sum);
      }
    }
    if (videos.isEmpty()) {
      return "no (video, caption) pair was written: " + cfg.captions() + " lists no video";
    }
    int missing = reasons.getOrDefault(BadVideoException.Reason.MISSING.code(), 0);
    return "no (video, caption) pair was written: all "
        + videos.size()
        + " videos listed in "
        + cfg.captions()
        + " were skipped "
        + reasons
        + " (see "
        + cfg.out().resolve("skipped.jsonl")
        + ")"
        + (missing > 0
            ? "; "
                + missing
                + " are missing from "
                + cfg.videoDir()
                + suggestFolder(videos, cfg.videoDir())
            : "");
  }

  private int start(int s, int videos) {
    return (int) ((long) s * videos / cfg.shards());
  }

  private int end(int s, int videos) {
    return (int) ((long) (s + 1) * videos / cfg.shards());
  }

  /** Settings that must not change across a resume. */
  private Map<String, Object> runSettings() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("captions_sha256", sha256(cfg.captions()));
    m.put("video_dir", cfg.videoDir().toAbsolutePath().normalize().toString());
    m.put("num_shards", cfg.shards());
    m.put("use_pooled_text", cfg.pooled());
    m.put("max_frames", cfg.maxFrames());
    m.put("text_encoder", text.id());
    m.put("text_hidden_size", text.hiddenSize());
    m.put("text_max_length", text.maxLength());
    m.put("compressor", latent == null ? null : latent.compressor());
    m.put(
        "latent", latent == null ? null : latent.kind().name().toLowerCase(java.util.Locale.ROOT));
    return m;
  }

  /**
   * Where the built-in text encoder is kept inside a dataset (not counted as an earlier run's
   * output).
   */
  public static final String TEXT_ENCODER_DIR = "text_encoder";

  /**
   * Fails when {@code cfg.out()} already holds files and neither resume nor overwrite was asked
   * for; call it before writing anything into the output (e.g. a built-in text encoder).
   */
  public static void checkOutput(PreprocessConfig cfg) throws IOException {
    if (cfg.world() == 1
        && !cfg.resume()
        && !cfg.overwrite()
        && Files.isDirectory(cfg.out())
        && hasEntries(cfg.out())) {
      throw new IOException(
          cfg.out()
              + " is not empty; use --resume to continue an interrupted run or --overwrite to replace it");
    }
  }

  /**
   * Checks {@code out} against this run. Alone, a non-empty output needs {@code resume} (same
   * settings) or {@code overwrite}. Under a launcher ({@code world > 1}) the ranks start together
   * on one directory, so a rank joins a run whose {@code run.json} has the same settings (waiting a
   * moment for another rank to write it), which also resumes an interrupted multi-rank run.
   */
  private void prepareOutput(Path out, Path progressDir) throws IOException {
    Map<String, Object> settings = runSettings();
    Path runFile = progressDir.resolve("run.json");
    boolean shared = cfg.world() > 1;
    if (shared && cfg.overwrite()) {
      throw new IllegalArgumentException(
          "--overwrite with WORLD_SIZE "
              + cfg.world()
              + ": the ranks would delete each other's work; "
              + "delete "
              + out
              + " first");
    }
    boolean exists = Files.isDirectory(out) && hasEntries(out, TEXT_ENCODER_DIR);
    if (exists && shared && !Files.isRegularFile(runFile)) {
      waitFor(runFile, 60);
    }
    if (exists && cfg.overwrite()) {
      deleteOurs(out);
    } else if (exists && (cfg.resume() || shared)) {
      if (!Files.isRegularFile(runFile)) {
        throw new IOException(
            out
                + " holds no interrupted jsora run to "
                + (shared ? "join" : "resume")
                + " (no "
                + PROGRESS_DIR
                + "/run.json)");
      }
      JsonNode old = JSON.readTree(runFile.toFile());
      List<String> diffs = new ArrayList<>();
      JsonNode now = JSON.valueToTree(settings);
      now.fieldNames()
          .forEachRemaining(
              k -> {
                if (!String.valueOf(now.get(k)).equals(String.valueOf(old.get(k)))) {
                  diffs.add(k + ": was " + old.get(k) + ", now " + now.get(k));
                }
              });
      if (!diffs.isEmpty()) {
        throw new IOException(
            "cannot "
                + (cfg.resume() ? "resume " : "join the run in ")
                + out
                + " with different settings ("
                + String.join("; ", diffs)
                + "); use the same options, or delete it / --overwrite to start again");
      }
    } else if (exists) {
      throw new IOException(
          out
              + " is not empty; use --resume to continue an interrupted run or --overwrite to replace it");
    }
    Files.createDirectories(progressDir);
    if (!Files.isRegularFile(runFile)) {
      AtomicFiles.writeString(runFile, PyJson.dumps(settings, 2) + "\n");
    }
  }

  private static void waitFor(Path file, int seconds) throws IOException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!Files.isRegularFile(file) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + file, e);
      }
    }
  }

  private static boolean hasEntries(Path dir, String... ignore) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        if (!List.of(ignore).contains(p.getFileName().toString())) {
          return true;
        }
      }
      return false;
    }
  }

  private static void deleteOurs(Path out) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(out)) {
      for (Path p : s) {
        String f = p.getFileName().toString();
        if (f.startsWith("data-")
            || f.equals("dataset_info.json")
            || f.equals("state.json")
            || f.equals("skipped.jsonl")
            || f.equals("jsora.json")) {
          Files.delete(p);
        }
      }
    }
    Path progress = out.resolve(PROGRESS_DIR);
    if (Files.isDirectory(progress)) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(progress)) {
        for (Path p : s) {
          Files.delete(p);
        }
      }
    }
  }

  /** The last committed point of a shard's journal. */
  private record Committed(
      int videos, long rows, long bytes, List<Skip> skipped, boolean done, long journalBytes) {}

  private static Path journal(Path progressDir, int s) {
    return progressDir.resolve(String.format("shard-%05d.jsonl", s));
  }

  /**
   * Reads a journal; a torn last line (killed mid-write) is ignored and reported by {@code
   * journalBytes}.
   */
  private static Committed committed(Path progressDir, int s) throws IOException {
    Path j = journal(progressDir, s);
    int videos = 0;
    long rows = 0;
    long bytes = -1;
    boolean done = false;
    long good = 0;
    List<Skip> skipped = new ArrayList<>();
    if (Files.isRegularFile(j)) {
      byte[] all = Files.readAllBytes(j);
      int startOfLine = 0;
      for (int i = 0; i < all.length; i++) {
        if (all[i] != '\n') {
          continue;
        }
        String line = new String(all, startOfLine, i - startOfLine, StandardCharsets.UTF_8);
        startOfLine = i + 1;
        JsonNode e;
        try {
          e = JSON.readTree(line);
        } catch (IOException torn) {
          break;
        }
        if (e == null || !e.has("videos")) {
          break;
        }
        videos = e.get("videos").asInt();
        rows = e.get("rows").asLong();
        bytes = e.get("bytes").asLong();
        done |= e.path("done").asBoolean(false);
        for (JsonNode k : e.path("skipped")) {
          skipped.add(
              new Skip(
                  k.get("file").asText(),
                  k.get("line").asInt(),
                  k.get("reason").asText(),
                  k.get("detail").asText()));
        }
        good = startOfLine;
      }
    }
    return new Committed(videos, rows, bytes, skipped, done, good);
  }

  private static void appendJournal(
      Path progressDir, int s, int videos, long rows, long bytes, List<Skip> skipped, boolean done)
      throws IOException {
    List<Object> sk = new ArrayList<>();
    for (Skip k : skipped) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", k.file());
      m.put("line", k.line());
      m.put("reason", k.reason());
      m.put("detail", k.detail());
      sk.add(m);
    }
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("videos", videos);
    e.put("rows", rows);
    e.put("bytes", bytes);
    e.put("skipped", sk);
    if (done) {
      e.put("done", true);
    }
    byte[] line = (PyJson.dumps(e) + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(
            journal(progressDir, s),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  /** A decoded (or rejected) video. */
  private record Decoded(CaptionsFile.Entry entry, Tensor frames, int[] size, Skip skip) {}

  private void shard(
      int s,
      List<CaptionsFile.Entry> videos,
      List<HfDataset.Column> columns,
      Path progressDir,
      List<Skip> skipped,
      int[] processed,
      long[] pairs,
      Progress progress)
      throws IOException {
    int n = cfg.shards();
    Path out = cfg.out();
    Path finalFile = out.resolve(HfDataset.shardName(s, n));
    Committed c = committed(progressDir, s);
    if (Files.exists(finalFile)) {
      skipped.addAll(c.skipped());
      return;
    }
    int from = start(s, videos.size());
    int to = end(s, videos.size());
    Path partial = out.resolve(HfDataset.shardName(s, n) + ".partial");
    boolean continuing = c.videos() > 0 && c.bytes() > 0 && Files.isRegularFile(partial);
    if (!continuing) {
      Files.deleteIfExists(journal(progressDir, s));
      c = new Committed(0, 0, -1, List.of(), false, 0);
    } else {
      log.info(
          "shard {}: resuming after {} of {} videos ({} rows committed)",
          s,
          c.videos(),
          to - from,
          c.rows());
      // drop a torn last line, so the next entry starts on a line of its own
      try (FileChannel ch = FileChannel.open(journal(progressDir, s), StandardOpenOption.WRITE)) {
        ch.truncate(c.journalBytes());
        ch.force(true);
      }
      skipped.addAll(c.skipped());
    }
    int doneVideos = c.videos();
    long rows = c.rows();
    DecodeOptions opts = DecodeOptions.NATIVE.withMaxFrames(cfg.maxFrames());
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            cfg.decodeWorkers(),
            r -> {
              Thread t = new Thread(r, "jsora-decode-" + threadNo.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    ArrayDeque<Future<Decoded>> window = new ArrayDeque<>();
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    try (ArrowShardWriter writer =
        new ArrowShardWriter(partial, columns, continuing ? c.bytes() : -1)) {
      int next = from + doneVideos;
      int at = from + doneVideos;
      while (at < to) {
        List<Decoded> chunk = new ArrayList<>();
        try {
          while (chunk.size() < cfg.chunkVideos() && at < to) {
            while (next < to && window.size() < cfg.decodeWorkers() * 2) {
              CaptionsFile.Entry e = videos.get(next++);
              window.add(pool.submit(() -> stopping.get() ? null : decode(e, opts)));
            }
            chunk.add(join(window.poll()));
            at++;
          }
          List<Skip> chunkSkips = new ArrayList<>();
          long written = writeChunk(writer, chunk, chunkSkips);
          doneVideos += chunk.size();
          rows += written;
          pairs[0] += written;
          processed[0] += chunk.size();
          appendJournal(progressDir, s, doneVideos, rows, writer.position(), chunkSkips, false);
          skipped.addAll(chunkSkips);
          progress.step(chunk.size());
          progress.message("pairs " + pairs[0] + ", skipped " + skipped.size());
        } finally {
          for (Decoded d : chunk) {
            if (d.frames() != null) {
              d.frames().close();
            }
          }
        }
      }
      writer.finish();
    } finally {
      stop(pool, window, stopping);
    }
    AtomicFiles.moveAtomically(partial, finalFile);
    appendJournal(progressDir, s, doneVideos, rows, Files.size(finalFile), List.of(), true);
  }

  private static Decoded join(Future<Decoded> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while decoding", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException("decoding failed: " + cause, cause);
    }
  }

  /**
   * Waits for every decode still in the window (queued ones return at once) and frees what they
   * made.
   */
  private static void stop(
      ExecutorService pool,
      ArrayDeque<Future<Decoded>> window,
      java.util.concurrent.atomic.AtomicBoolean stopping) {
    stopping.set(true);
    for (Future<Decoded> f : window) {
      try {
        Decoded d = f.get();
        if (d != null && d.frames() != null) {
          d.frames().close();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException ignored) {
        // never consumed; the run is already failing or finished
      }
    }
    window.clear();
    pool.shutdown();
    try {
      pool.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Decoded decode(CaptionsFile.Entry e, DecodeOptions opts) {
    Path file = cfg.videoDir().resolve(e.file());
    try {
      if (latent == null) {
        // only checked and measured: no frame is kept, so memory does not grow with the video
        long[] s = VideoReader.scan(file, opts);
        return new Decoded(e, null, new int[] {(int) s[0], (int) s[1], (int) s[2]}, null);
      }
      try (DecodedVideo v = VideoReader.decode(file, opts)) {
        long[] s = {v.frames().size(0), v.frames().size(1), v.frames().size(2)};
        int[] size = {(int) s[0], (int) s[1], (int) s[2]};
        long[] f = latent.fit(s[0], s[1], s[2]);
        if (f[0] == 0 || f[1] == 0 || f[2] == 0) {
          return new Decoded(
              e,
              null,
              size,
              new Skip(
                  e.file(),
                  e.line(),
                  "too-small",
                  file
                      + ": "
                      + s[0]
                      + "x"
                      + s[1]
                      + "x"
                      + s[2]
                      + " (TxHxW) is smaller than the "
                      + latent.compressor()
                      + " compressor's factors "
                      + java.util.Arrays.toString(latent.factors())));
        }
        return new Decoded(e, v.frames().retainReference(), size, null);
      }
    } catch (BadVideoException b) {
      return new Decoded(
          e, null, null, new Skip(e.file(), e.line(), b.reason().code(), b.getMessage()));
    }
  }

  /**
   * Encodes a chunk's captions (and latents) and writes its rows as one record batch; returns the
   * rows.
   */
  private long writeChunk(ArrowShardWriter writer, List<Decoded> chunk, List<Skip> chunkSkips)
      throws IOException {
    List<Decoded> good = new ArrayList<>();
    List<String> captions = new ArrayList<>();
    for (Decoded d : chunk) {
      if (d.skip() != null) {
        chunkSkips.add(d.skip());
      } else {
        good.add(d);
        captions.addAll(d.entry().captions());
      }
    }
    if (good.isEmpty()) {
      return 0;
    }
    List<Tensor> owned = new ArrayList<>();
    try {
      List<Tensor> states = encodeText(captions, owned);
      List<Tensor> latents = new ArrayList<>();
      for (Decoded d : good) {
        latents.add(latent == null ? null : encodeLatent(d.frames(), owned));
      }
      List<List<ArrowShardWriter.Cell>> rows = new ArrayList<>();
      int k = 0;
      for (int v = 0; v < good.size(); v++) {
        Decoded d = good.get(v);
        for (int i = 0; i < d.entry().captions().size(); i++) {
          List<ArrowShardWriter.Cell> row = new ArrayList<>(4);
          row.add(ArrowShardWriter.Cell.text(d.entry().file()));
          row.add(ArrowShardWriter.Cell.of(states.get(k++)));
          if (latent != null) {
            row.add(ArrowShardWriter.Cell.of(latents.get(v)));
          }
          row.add(ArrowShardWriter.Cell.ints(d.size()));
          rows.add(row);
        }
      }
      writer.write(rows);
      return rows.size();
    } finally {
      Scopes.closeAll(owned);
    }
  }

  /** One CPU float32 tensor per caption: {@code [S, D]} (padding removed) or pooled {@code [D]}. */
  private List<Tensor> encodeText(List<String> captions, List<Tensor> owned) {
    List<Tensor> out = new ArrayList<>(captions.size());
    for (int b = 0; b < captions.size(); b += cfg.textBatch()) {
      List<String> batch = captions.subList(b, Math.min(captions.size(), b + cfg.textBatch()));
      try (PointerScope scope = new PointerScope();
          NoGradGuard ng = new NoGradGuard();
          TextEmbeddings e = text.encode(batch)) {
        for (int i = 0; i < batch.size(); i++) {
          Tensor row;
          if (cfg.pooled()) {
            row = e.pooled().get(i); // (D)
          } else {
            Tensor keep = e.mask().get(i).nonzero().squeeze(1); // (S) positions of real tokens
            row =
                e.hidden()
                    .get(i)
                    .index_select(
                        0, keep.to(e.hidden().device(), DType.I64.scalarType())); // (S, D)
          }
          Tensor cpu = Scopes.keep(row.cpu().to(DType.F32.scalarType()).contiguous());
          owned.add(cpu);
          out.add(cpu);
        }
      }
    }
    return out;
  }

  /**
   * The stored latent of one video: {@code [C, T', H', W']} in the spec's dtype, or indices {@code
   * [T', H', W']}.
   */
  private Tensor encodeLatent(Tensor frames, List<Tensor> owned) {
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor fitted = latent.fitFrames(frames); // (T, H, W, 3)
      Tensor x = Frames.toModel(fitted.contiguous()); // (1, 3, T, H, W)
      Tensor onDevice = x.to(device, DType.F32.scalarType()); // (1, 3, T, H, W)
      x.close();
      Tensor z;
      try (Tensor raw = latent.encode().apply(onDevice)) {
        z =
            raw.squeeze(0)
                .cpu()
                .to(latent.kind().dtype().scalarType())
                .contiguous(); // (C, T', H', W') or (T', H', W')
      }
      Tensor kept = Scopes.keep(z);
      owned.add(kept);
      return kept;
    }
  }

  /** Writes the metadata once every shard is in place; returns the row count. */
  private long finish(
      CaptionsFile.Contents contents, List<HfDataset.Column> columns, Path progressDir)
      throws IOException {
    int n = cfg.shards();
    Path out = cfg.out();
    long rows = 0;
    List<Skip> all = new ArrayList<>();
    for (CaptionsFile.Problem p : contents.problems()) {
      all.add(new Skip(null, p.line(), p.reason(), p.detail()));
    }
    for (int s = 0; s < n; s++) {
      Committed c = committed(progressDir, s);
      rows += c.rows();
      all.addAll(c.skipped());
    }
    all.sort(Comparator.comparingInt(Skip::line));
    StringBuilder sk = new StringBuilder();
    for (Skip k : all) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", k.file());
      m.put("line", k.line());
      m.put("reason", k.reason());
      m.put("detail", k.detail());
      sk.append(PyJson.dumps(m)).append('\n');
    }
    AtomicFiles.writeString(out.resolve("skipped.jsonl"), sk.toString());
    Map<String, Object> settings = runSettings();
    String description =
        "jsora preprocess: "
            + rows
            + " (video, caption) pairs; text encoder "
            + text.id()
            + (latent == null
                ? ""
                : "; video latents from "
                    + latent.compressor()
                    + " ("
                    + latent.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + ")");
    AtomicFiles.writeString(
        out.resolve("dataset_info.json"), HfDataset.datasetInfo(columns, description));
    String fingerprint =
        sha256Hex((PyJson.dumps(settings) + rows).getBytes(StandardCharsets.UTF_8))
            .substring(0, 16);
    AtomicFiles.writeString(out.resolve("state.json"), HfDataset.state(n, fingerprint));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("created_by", "jsora preprocess");
    info.put("text_encoder", text.id());
    info.put("text_hidden_size", text.hiddenSize());
    info.put("text_max_length", text.maxLength());
    info.put("use_pooled_text", cfg.pooled());
    info.put("compressor", latent == null ? null : latent.compressor());
    if (latent != null) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("kind", latent.kind().name().toLowerCase(java.util.Locale.ROOT));
      l.put("dtype", latent.kind().hfDtype());
      l.put("factors", List.of(latent.factors()[0], latent.factors()[1], latent.factors()[2]));
      l.put("channels", latent.channels());
      l.put(
          "fit",
          "frames cut to a multiple of the time factor, height and width centre-cropped to multiples of theirs");
      info.put("latent", l);
    } else {
      info.put("latent", null);
    }
    info.put("video_dir", cfg.videoDir().toAbsolutePath().normalize().toString());
    info.put("captions", cfg.captions().toAbsolutePath().normalize().toString());
    info.put("max_frames", cfg.maxFrames());
    info.put("num_shards", n);
    info.put("videos", contents.entries().size());
    info.put("rows", rows);
    info.put("skipped", all.size());
    List<Object> cols = new ArrayList<>();
    for (HfDataset.Column c : columns) {
      cols.add(c.name());
    }
    info.put("columns", cols);
    AtomicFiles.writeString(out.resolve("jsora.json"), PyJson.dumps(info, 2) + "\n");
    return rows;
  }

  private static String sha256(Path file) throws IOException {
    return Download.sha256(file);
  }

  private static String sha256Hex(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
