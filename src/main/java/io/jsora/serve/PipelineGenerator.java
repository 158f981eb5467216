package io.jsora.serve;

import io.jsora.diffusion.SamplingProgress;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.text.TextEncoders;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.bytedeco.pytorch.Tensor;

/**
 * The one place the service meets the pipeline: loads the checkpoint (one copy per worker, since a
 * pipeline's compressor is not thread-safe) and turns validated {@link JobParams} into a {@link
 * GenerationRequest}.
 */
public final class PipelineGenerator implements VideoGenerator {
  private final List<TextToVideoPipeline> all;
  private final BlockingQueue<TextToVideoPipeline> idle;
  private final ModelInfo model;

  private PipelineGenerator(List<TextToVideoPipeline> all, ModelInfo model) {
    this.all = List.copyOf(all);
    this.idle = new ArrayBlockingQueue<>(all.size(), false, all);
    this.model = model;
  }

  /** Loads {@code copies} pipelines from the checkpoint (models named by directory only). */
  public static PipelineGenerator load(Path checkpoint, boolean ema, DeviceSpec device, int copies)
      throws IOException {
    return load(checkpoint, ema, device, copies, io.jsora.checkpoint.HubCache.NONE);
  }

  /**
   * Loads {@code copies} pipelines from the checkpoint, finding models named by id in {@code hub}.
   */
  public static PipelineGenerator load(
      Path checkpoint, boolean ema, DeviceSpec device, int copies, io.jsora.checkpoint.HubCache hub)
      throws IOException {
    List<TextToVideoPipeline> pipes = new ArrayList<>();
    try {
      for (int i = 0; i < copies; i++) {
        pipes.add(TextToVideoPipeline.load(checkpoint, ema, Devices.resolve(device), hub));
      }
      return new PipelineGenerator(pipes, describe(pipes.get(0)));
    } catch (IOException | RuntimeException e) {
      pipes.forEach(TextToVideoPipeline::close);
      throw e;
    }
  }

  private static ModelInfo describe(TextToVideoPipeline p) throws IOException {
    DiTConfig mc = p.modelConfig();
    int[] f = p.compressor().factors(); // (time, height, width)
    String text = p.runConfig().textEncoder() == null ? "" : p.runConfig().textEncoder();
    if (text.startsWith(TextEncoders.BUILTIN_PREFIX)) {
      text = TextEncoders.BUILTIN; // its path is the server's business
    }
    return new ModelInfo(
        p.checkpoint().getFileName().toString(),
        mc.modelArch().id(),
        "depth "
            + mc.depth()
            + ", hidden "
            + mc.hiddenSize()
            + ", heads "
            + mc.numHeads()
            + ", patch "
            + mc.patchSize(),
        p.compressor().name(),
        text,
        f[2] * mc.patchSize(),
        f[1] * mc.patchSize(),
        f[0],
        p.numTimesteps(),
        orDefault(p.data().width(), 64),
        orDefault(p.data().height(), 64),
        orDefault(p.data().frames(), 16),
        p.data().fps() == null ? 8 : p.data().fps());
  }

  private static int orDefault(Integer v, int fallback) {
    return v == null ? fallback : v;
  }

  @Override
  public ModelInfo model() {
    return model;
  }

  @Override
  public Tensor generate(JobParams j, SamplingProgress progress) {
    GenerationRequest req =
        new GenerationRequest(
            List.of(j.prompt()),
            j.numFrames(),
            j.height(),
            j.width(),
            j.numSteps(),
            j.sampler(),
            0,
            j.cfgScale(),
            j.seed());
    TextToVideoPipeline pipe;
    try {
      pipe = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a free model copy", e);
    }
    try (Tensor batch = pipe.generate(req, progress)) { // (1, T, H, W, 3)
      return batch.select(0, 0).clone(); // (T, H, W, 3)
    } finally {
      idle.add(pipe);
    }
  }

  @Override
  public void close() {
    all.forEach(TextToVideoPipeline::close);
  }
}
