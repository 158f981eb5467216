package io.jsora.model.stdit3;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.Weights;
import io.jsora.parallel.SequenceParallel;
import io.jsora.parallel.SpMode;
import io.jsora.parallel.WorkerMain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Test worker (world 2, SP 2): the golden tiny STDiT3 on the golden inputs (with the frame mask),
 * once in one process and once with the spatial tokens split over the group, for both SP modes and
 * two latent widths: 7 (4 patch columns, 12 tokens per frame: divides) and 5 (3 columns, 9 tokens:
 * padded to 10). Writes {@code rank<r>.json}: one {name, diff, scale} per comparison.
 */
public final class STDiT3SpWorker {
  private STDiT3SpWorker() {}

  /** One comparison: max |sp − ref| and max |ref|. */
  public record Cmp(String name, double diff, double scale) {}

  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    WorkerMain.run(
        2,
        Duration.ofSeconds(30),
        ctx -> {
          List<Cmp> cmps = new ArrayList<>();
          for (SpMode mode : SpMode.values()) {
            for (long width : new long[] {7, 5}) {
              try (STDiT3 model = STDiT3GoldenTest.tinyModel();
                  PointerScope s = new PointerScope();
                  Weights.Loaded io = Weights.read(STDiT3GoldenTest.golden("tiny_io.safetensors"));
                  NoGradGuard g = new NoGradGuard()) {
                StateDict in = io.tensors();
                Tensor x = in.get("x").narrow(4, 0, width).contiguous();
                Tensor ref =
                    model.forward(
                        x,
                        in.get("timestep"),
                        in.get("y"),
                        in.get("mask"),
                        in.get("x_mask"),
                        in.get("fps"),
                        in.get("height"),
                        in.get("width"));
                model.setSequenceParallel(new SequenceParallel(ctx.sp(), mode));
                if (model.sequenceParallel().size() != 2) {
                  throw new IllegalStateException(
                      "expected a sequence-parallel group of 2, got "
                          + model.sequenceParallel().size());
                }
                Tensor got =
                    model.forward(
                        x,
                        in.get("timestep"),
                        in.get("y"),
                        in.get("mask"),
                        in.get("x_mask"),
                        in.get("fps"),
                        in.get("height"),
                        in.get("width"));
                model.setSequenceParallel(SequenceParallel.none());
                cmps.add(
                    new Cmp(
                        mode.name().toLowerCase() + "/width" + width,
                        got.sub(ref).abs().max().item_double(),
                        ref.abs().max().item_double()));
              }
            }
          }
          new ObjectMapper().writeValue(out.resolve("rank" + ctx.rank() + ".json").toFile(), cmps);
        });
  }
}
