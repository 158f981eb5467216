package io.jsora.data;

import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.video.BadVideoException;
import io.jsora.video.DecodeOptions;
import io.jsora.video.DecodedVideo;
import io.jsora.video.Frames;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds training: builds the batches a {@link BatchPlan} names ({@link BucketSampler}: samples as
 * stored; {@link BucketPlan}: resolution buckets), in its order, in background threads that stay
 * {@code prefetch} batches ahead of the step.
 *
 * <p>Use one loader per epoch:
 *
 * <pre>{@code
 * sampler.setEpoch(e);                       // or sampler.restore(savedState) to resume
 * try (Loader<BucketSampler.State> loader = new Loader<>(dataset, sampler, options)) {
 *   for (Batch next; (next = loader.next()) != null; ) {
 *     try (Batch b = next) { step(b); }
 *     checkpointState = loader.state();      // the position after the batch just returned
 *   }
 * }
 * }</pre>
 *
 * <p>Rows with cached latents are read from the memory-mapped dataset; otherwise the video is
 * decoded (with {@link Options#decode}), cut to the compressor's factors and, when a compressor is
 * given, encoded. A batch of a bucket takes each video's window of the bucket's length, resized and
 * cropped to the bucket's size ({@link BucketTransform}, window seeded by {@link
 * Options#windowSeed}, epoch and row) before the cut. A video that cannot be read is left out of
 * its batch and listed in {@link Batch#dropped()} (the run goes on). Every background task is
 * joined: an error in one is rethrown by {@link #next()}, and {@link #close()} cancels and waits
 * for the rest.
 */
public final class Loader<P> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Loader.class);

  /**
   * How batches are made.
   *
   * @param workers background threads building batches
   * @param prefetch batches built ahead of the consumer (≥ workers keeps every thread busy)
   * @param decode how videos are decoded when latents are not cached
   * @param factors the compressor's (t, h, w) factors: decoded frames are cut to multiples of them;
   *     null = no cut
   * @param compress video {@code [B, 3, T, H, W]} in [-0.5, 0.5] → latent {@code [B, C, T', H',
   *     W']}, or null to hand out pixels
   * @param embedCodes VQ codes {@code [B, T', H', W']} int64 → vectors {@code [B, C, T', H', W']},
   *     or null to hand out codes
   * @param device where video goes for {@code compress} and where batches are placed
   * @param windowSeed seeds the temporal windows of bucketed batches (with the epoch and row)
   * @param frameInterval bucketed batches read every {@code frameInterval}-th frame of the window
   */
  public record Options(
      int workers,
      int prefetch,
      DecodeOptions decode,
      int[] factors,
      UnaryOperator<Tensor> compress,
      UnaryOperator<Tensor> embedCodes,
      Device device,
      long windowSeed,
      int frameInterval) {
    public Options {
      if (workers < 1 || prefetch < 1) {
        throw new IllegalArgumentException(
            "workers and prefetch must be >= 1, got " + workers + ", " + prefetch);
      }
      if (frameInterval < 1) {
        throw new IllegalArgumentException("frame interval must be >= 1, got " + frameInterval);
      }
    }

    /** Two workers, four batches ahead, native decoding, pixels on the CPU. */
    public static Options defaults(Device device) {
      return new Options(2, 4, DecodeOptions.NATIVE, null, null, null, device, 0, 1);
    }

    public Options withCompressor(int[] f, UnaryOperator<Tensor> c) {
      return new Options(
          workers, prefetch, decode, f, c, embedCodes, device, windowSeed, frameInterval);
    }

    public Options withEmbedCodes(UnaryOperator<Tensor> e) {
      return new Options(
          workers, prefetch, decode, factors, compress, e, device, windowSeed, frameInterval);
    }

    public Options withThreads(int w, int p) {
      return new Options(
          w, p, decode, factors, compress, embedCodes, device, windowSeed, frameInterval);
    }

    /**
     * Bucketed batches' windows seeded by {@code seed}, frames read every {@code interval}; the
     * frames are cut to multiples of {@code align} (t, h, w) instead of the factors.
     */
    public Options withBuckets(long seed, int interval, int[] align) {
      return new Options(
          workers, prefetch, decode, align, compress, embedCodes, device, seed, interval);
    }
  }

  private record Pending<P>(Future<Batch> batch, P after) {}

  private final ArrowVideoDataset ds;
  private final BatchPlan<P> sampler;
  private final Options o;
  private final ExecutorService pool;
  private final ArrayDeque<Pending<P>> queue = new ArrayDeque<>();
  private P state;
  private boolean exhausted;
  private volatile boolean closed;
  private final List<String> dropped = java.util.Collections.synchronizedList(new ArrayList<>());

  public Loader(ArrowVideoDataset ds, BatchPlan<P> sampler, Options o) {
    this.ds = ds;
    this.sampler = sampler;
    this.o = o;
    this.state = sampler.position();
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            o.workers(),
            r -> {
              Thread t = new Thread(r, "jsora-loader-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    fill();
  }

  /**
   * The shape key of every row for a {@link BucketSampler}: the cached latent's shape, else the
   * frames the loader will produce ({@code T, H, W} after decoding options and the factors' cut),
   * from the recorded {@code video_size} or, without it, from the video's header.
   */
  public static long[][] shapeKeys(ArrowVideoDataset ds, DecodeOptions decode, int[] factors)
      throws IOException {
    long n = ds.size();
    long[][] keys = new long[Math.toIntExact(n)][];
    boolean cached = ds.hasLatents();
    Map<String, VideoInfo> probed = new ConcurrentHashMap<>();
    for (int r = 0; r < n; r++) {
      if (cached) {
        keys[r] = ds.cellShape(HfDataset.VIDEO_LATENT_STATES, r);
        continue;
      }
      int[] size = decode.fps() > 0 ? null : ds.videoSize(r);
      long t;
      long h;
      long w;
      if (size != null) {
        t = size[0];
        int[] hw = decode.outputSize(size[2], size[1]);
        h = hw[0];
        w = hw[1];
      } else {
        String file = ds.videoFile(r);
        VideoInfo info = probed.get(file);
        if (info == null) {
          info = VideoReader.probe(videoPath(ds, file));
          probed.put(file, info);
        }
        t = decode.outputFrames(info.frames(), info.fps());
        int[] hw = decode.outputSize(info.width(), info.height());
        h = hw[0];
        w = hw[1];
      }
      if (factors != null) {
        t = t / factors[0] * factors[0];
        h = h / factors[1] * factors[1];
        w = w / factors[2] * factors[2];
      }
      keys[r] = new long[] {t, h, w};
    }
    return keys;
  }

  private static Path videoPath(ArrowVideoDataset ds, String file) throws IOException {
    Path dir = ds.info().videoDir();
    if (dir == null) {
      throw new IOException(
          ds.directory()
              + ": rows name videos but no video directory is known (no jsora.json; pass one to ArrowVideoDataset.open)");
    }
    return dir.resolve(file);
  }

  private void fill() {
    while (!exhausted && queue.size() < o.prefetch()) {
      PlannedBatch planned = sampler.nextBatch();
      if (planned == null) {
        exhausted = true;
        return;
      }
      if (planned.bucket() != null && ds.hasLatents()) {
        throw new IllegalArgumentException(
            ds.directory()
                + " caches latents, which cannot be brought to bucket "
                + planned.bucket()
                + "; bucketed training reads the videos (preprocess without latents)");
      }
      queue.add(
          new Pending<>(pool.submit(() -> closed ? null : build(planned)), sampler.position()));
    }
  }

  /**
   * The next batch (caller owns and closes it), or null when the epoch is over. Rethrows a failure
   * of the task that built it.
   */
  public Batch next() throws IOException {
    while (true) {
      Pending<P> p = queue.poll();
      if (p == null) {
        return null;
      }
      Batch b;
      try {
        b = p.batch().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for a batch", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException("building a batch failed: " + c, c);
      }
      state = p.after();
      fill();
      dropped.addAll(b.dropped());
      if (b.size() == 0) {
        log.warn("a whole batch could not be read ({}); skipped", b.dropped());
        b.close();
        continue;
      }
      return b;
    }
  }

  /** Every video left out so far (file: reason), including those of whole batches skipped. */
  public List<String> dropped() {
    return List.copyOf(dropped);
  }

  /**
   * The sampler position after the last batch {@link #next()} returned: save it to resume exactly.
   */
  public P state() {
    return state;
  }

  private Batch build(PlannedBatch planned) throws IOException {
    long[] rows = planned.rows();
    List<String> dropped = new ArrayList<>();
    List<Long> kept = new ArrayList<>();
    List<String> files = new ArrayList<>();
    try (PointerScope scope = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      List<Tensor> samples = new ArrayList<>();
      boolean codes = ds.hasLatents() && ds.info().latentKind() == LatentSpec.Kind.INDICES;
      for (long r : rows) {
        String file = ds.videoFile(r);
        Tensor x;
        if (ds.hasLatents()) {
          Tensor l = ds.latent(r);
          x =
              codes
                  ? l.to(DType.I64.scalarType())
                  : l.to(DType.F32.scalarType()); // (C, T', H', W') or (T', H', W')
          l.close();
        } else {
          try (DecodedVideo v = VideoReader.decode(videoPath(ds, file), o.decode())) {
            Tensor f = v.frames(); // (T, H, W, 3)
            if (planned.bucket() != null) {
              Tensor owned =
                  BucketTransform.apply(
                      f,
                      planned.bucket(),
                      o.frameInterval(),
                      o.factors(),
                      Seeds.mix(o.windowSeed(), planned.epoch(), r)); // (3, T', H', W')
              if (owned == null) {
                dropped.add(
                    file
                        + ": "
                        + f.size(0)
                        + " frames, too few for bucket "
                        + planned.bucket()
                        + " (its header said more)");
                continue;
              }
              x = owned.alias(); // in this scope, like the other samples
              owned.close();
              samples.add(x);
              kept.add(r);
              files.add(file);
              continue;
            }
            if (o.factors() != null) {
              int[] k = o.factors();
              long t = f.size(0) / k[0] * k[0];
              long h = f.size(1) / k[1] * k[1];
              long w = f.size(2) / k[2] * k[2];
              f =
                  f.narrow(0, 0, t)
                      .narrow(1, (f.size(1) - h) / 2, h)
                      .narrow(2, (f.size(2) - w) / 2, w);
            }
            Tensor m = Frames.toModel(f.contiguous()); // (1, 3, T, H, W)
            x = m.squeeze(0); // (3, T, H, W)
            m.close();
          } catch (BadVideoException e) {
            dropped.add(file + ": " + e.reason().code());
            continue;
          }
        }
        samples.add(x);
        kept.add(r);
        files.add(file);
      }
      long[] keptRows = kept.stream().mapToLong(Long::longValue).toArray();
      if (samples.isEmpty()) {
        return new Batch(keptRows, files, null, null, null, null, null, dropped);
      }
      checkSameShape(samples, files);
      Tensor stacked =
          torch
              .stack(new TensorVector(samples.toArray(new Tensor[0])), 0)
              .to(o.device(), samples.get(0).scalar_type()); // (B, ...)
      Tensor latents = null;
      Tensor codeOut = null;
      Tensor video = null;
      if (codes) {
        if (o.embedCodes() != null) {
          latents = owned(o.embedCodes().apply(stacked)); // (B, C, T', H', W')
        } else {
          codeOut = Scopes.keep(stacked); // (B, T', H', W')
        }
      } else if (ds.hasLatents()) {
        latents = Scopes.keep(stacked); // (B, C, T', H', W')
      } else if (o.compress() != null) {
        latents = owned(o.compress().apply(stacked)); // (B, C, T', H', W')
      } else {
        video = Scopes.keep(stacked); // (B, 3, T, H, W)
      }
      Text text = text(keptRows);
      return new Batch(
          keptRows, files, latents, codeOut, video, text.states(), text.mask(), dropped);
    }
  }

  /**
   * A handle on {@code r} that outlives the enclosing scope, whether the function that made {@code
   * r} kept it (caller owns) or left it in the caller's scope.
   */
  private static Tensor owned(Tensor r) {
    Tensor out = Scopes.keep(r.alias());
    r.close();
    return out;
  }

  private static void checkSameShape(List<Tensor> samples, List<String> files) {
    long[] first = Shapes.of(samples.get(0));
    for (int i = 1; i < samples.size(); i++) {
      long[] s = Shapes.of(samples.get(i));
      if (!java.util.Arrays.equals(first, s)) {
        throw new IllegalStateException(
            "batch mixes shapes: "
                + files.get(0)
                + " "
                + Shapes.format(first)
                + " and "
                + files.get(i)
                + " "
                + Shapes.format(s)
                + " (the shape keys given to the sampler do not match the decoded videos)");
      }
    }
  }

  /**
   * A batch's text: pooled {@code [B, D]} with a null mask, or {@code [B, L, D]} padded with zeros
   * and mask {@code [B, L]}.
   */
  private record Text(Tensor states, Tensor mask) {}

  /** Text states of the rows, kept (the batch takes them over). */
  private Text text(long[] rows) {
    List<Tensor> states = new ArrayList<>();
    for (long r : rows) {
      states.add(
          ds.textStates(r)); // (S, D) or (D), attached to the caller's scope? no: caller-owned
    }
    try {
      if (Shapes.of(states.get(0)).length == 1) {
        Tensor t =
            torch
                .stack(new TensorVector(states.toArray(new Tensor[0])), 0)
                .to(o.device(), DType.F32.scalarType()); // (B, D)
        return new Text(Scopes.keep(t), null);
      }
      long longest = 0;
      long d = states.get(0).size(1);
      for (Tensor s : states) {
        longest = Math.max(longest, s.size(0));
      }
      Tensor hidden = torch.zeros(new long[] {rows.length, longest, d}); // (B, L, D)
      long[] mask = new long[rows.length * (int) longest];
      for (int i = 0; i < rows.length; i++) {
        long len = states.get(i).size(0);
        hidden.get(i).narrow(0, 0, len).copy_(states.get(i));
        for (int l = 0; l < len; l++) {
          mask[i * (int) longest + l] = 1;
        }
      }
      Tensor m = io.jsora.tensor.Tensors.of(mask, rows.length, longest);
      Tensor onDevice = m.to(o.device(), DType.I64.scalarType());
      Tensor h = hidden.to(o.device(), DType.F32.scalarType());
      Text out = new Text(Scopes.keep(h), Scopes.keep(onDevice));
      m.close();
      return out;
    } finally {
      Scopes.closeAll(states);
    }
  }

  @Override
  public void close() {
    // no cancel(): a task cancelled while running would finish and leak its batch; tasks not yet
    // started see the flag and return at once, running ones finish and are freed here
    closed = true;
    for (Pending<P> p : queue) {
      try {
        Batch b = p.batch().get();
        if (b != null) {
          b.close();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException ignored) {
        // its error would have been rethrown by next()
      }
    }
    queue.clear();
    pool.shutdown();
    try {
      pool.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
