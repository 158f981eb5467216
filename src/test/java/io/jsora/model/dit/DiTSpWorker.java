package io.jsora.model.dit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.parallel.GradientSync;
import io.jsora.parallel.SequenceParallel;
import io.jsora.parallel.SpMode;
import io.jsora.parallel.WorkerMain;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Test worker (world 2, SP 2): for every arch, both SP modes and two latent shapes (one whose token
 * count needs padding to a multiple of 2), runs a seeded tiny DiT once without and once with
 * sequence parallelism on the same inputs, back-propagates the same loss, sums the partial
 * gradients over the group with {@link GradientSync} and {@link DiT#hasCompleteGradient}, and
 * compares outputs, every parameter's gradient and the input and text gradients. Also: gradient
 * checkpointing with SP. Writes {@code rank<r>.json}: one {name, diff, scale} per compared tensor.
 */
public final class DiTSpWorker {
  private DiTSpWorker() {}

  /** One comparison: max |sp − ref| and max |ref|. */
  public record Cmp(String name, double diff, double scale) {}

  /** A forward pass: the model's outputs. */
  private interface Pass {
    List<Tensor> outputs(DiT model);
  }

  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    WorkerMain.run(
        2,
        Duration.ofSeconds(30),
        ctx -> {
          List<Cmp> cmps = new ArrayList<>();
          for (Arch arch : Arch.values()) {
            for (SpMode mode : SpMode.values()) {
              // 3·3·1 = 9 tokens (padded to 10; token-concat 14), and 2·2·2 = 8 (token-concat 13,
              // padded)
              for (long[] shape : new long[][] {{2, 3, 3, 12, 4}, {2, 3, 2, 8, 8}}) {
                String tag =
                    arch.id()
                        + "/"
                        + mode.name().toLowerCase()
                        + "/"
                        + shape[2]
                        + "x"
                        + shape[3]
                        + "x"
                        + shape[4];
                compare(ctx, arch, mode, shape, false, tag, cmps);
              }
            }
          }
          compare(
              ctx,
              Arch.SELF_CROSS,
              SpMode.ULYSSES,
              new long[] {2, 3, 3, 12, 4},
              true,
              "self-cross/ulysses/checkpointed",
              cmps);
          new ObjectMapper().writeValue(out.resolve("rank" + ctx.rank() + ".json").toFile(), cmps);
        });
  }

  private static void compare(
      io.jsora.parallel.ParallelContext ctx,
      Arch arch,
      SpMode mode,
      long[] shape,
      boolean checkpointed,
      String tag,
      List<Cmp> cmps) {
    DiTConfig c = DiTFixtures.tiny(arch, 4).withGradCheckpoint(checkpointed);
    try (PointerScope s = new PointerScope()) {
      torch.manual_seed(1);
      DiT model = new DiT(c);
      DiTFixtures.randomize(model, 5);
      model.train(true);
      Map<String, Tensor> params = new LinkedHashMap<>();
      StringTensorDict dict = model.named_parameters(true);
      for (long i = 0; i < dict.size(); i++) {
        params.put(dict.get(i).key().getString(), new Tensor(dict.get(i).value()));
      }
      Generator g = torch.createCPUGenerator(11);
      long b = shape[0];
      Tensor x = leaf(DiTFixtures.randn(g, shape));
      Tensor text = leaf(DiTFixtures.text(g, c, b));
      Tensor t = Tensors.of(new long[] {3, 700}, 2);
      Tensor mask =
          arch.pooledText()
              ? null
              : Tensors.ofBytes(new byte[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, 2, DiTFixtures.TEXT_LEN);
      Tensor drop = Tensors.ofBytes(new byte[] {0, 1}, 2).to(torch.ScalarType.Bool);
      Tensor r = DiTFixtures.randn(g, b, c.outChannels(), shape[2], shape[3], shape[4]);
      Pass pass = m -> List.of(m.forward(x, t, text, mask, drop));
      List<Tensor> weights = List.of(r);

      // reference: one process, the whole sequence
      List<Tensor> refOut = pass.outputs(model);
      loss(refOut, weights).backward();
      Map<String, Tensor> ref = grads(params, x, text);
      zero(params, x, text);

      model.setSequenceParallel(new SequenceParallel(ctx.sp(), mode));
      List<Tensor> spOut = pass.outputs(model);
      loss(spOut, weights).backward();
      try (GradientSync sync = new GradientSync(ctx, params, DiT::hasCompleteGradient)) {
        sync.sync(); // partial gradients (blocks) summed over the group, complete ones kept
      }
      Map<String, Tensor> got = grads(params, x, text);
      model.setSequenceParallel(SequenceParallel.none());

      for (int i = 0; i < refOut.size(); i++) {
        cmps.add(cmp(tag + " output " + i, spOut.get(i).detach(), refOut.get(i).detach()));
      }
      for (String n : ref.keySet()) {
        cmps.add(cmp(tag + " grad " + n, got.get(n), ref.get(n)));
      }
    }
  }

  /** Σ_i Σ outputs_i · weights_i: a loss whose gradient reaches every output element. */
  private static Tensor loss(List<Tensor> outputs, List<Tensor> weights) {
    Tensor l = outputs.get(0).mul(weights.get(0)).sum();
    for (int i = 1; i < outputs.size(); i++) {
      l = l.add(outputs.get(i).mul(weights.get(i)).sum());
    }
    return l;
  }

  private static Tensor leaf(Tensor t) {
    return t.detach().clone().requires_grad_(true);
  }

  private static Map<String, Tensor> grads(Map<String, Tensor> params, Tensor x, Tensor text) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    params.forEach((k, p) -> out.put(k, p.grad().clone()));
    out.put("input", x.grad().clone());
    out.put("text", text.grad().clone());
    return out;
  }

  private static void zero(Map<String, Tensor> params, Tensor x, Tensor text) {
    params.values().forEach(p -> p.grad().zero_());
    x.grad().zero_();
    text.grad().zero_();
  }

  private static Cmp cmp(String name, Tensor got, Tensor ref) {
    if (!java.util.Arrays.equals(io.jsora.tensor.Shapes.of(got), io.jsora.tensor.Shapes.of(ref))) {
      throw new IllegalStateException(
          name
              + ": shape "
              + java.util.Arrays.toString(io.jsora.tensor.Shapes.of(got))
              + " vs "
              + java.util.Arrays.toString(io.jsora.tensor.Shapes.of(ref)));
    }
    return new Cmp(name, got.sub(ref).abs().max().item_double(), ref.abs().max().item_double());
  }
}
