package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.AdamWConfig;
import io.jsora.parallel.ParallelContext;
import io.jsora.parallel.ZeroAdamW;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW with ZeRO stage 2 for the trainer: {@link ZeroAdamW} over a module's trainable parameters
 * (gradients reduce-scattered over the ranks, each rank updating its shard of the fp32 state,
 * shards all-gathered into the parameters), with the checkpoint format of {@link AdamWOptimizer}:
 * {@link #stateDict} gathers the whole state (a collective) and leaves out parameters never
 * stepped, as libtorch's AdamW does; {@link #loadStateDict} takes a full state from either
 * optimizer, so single-process checkpoints resume under ZeRO-2 and the other way round.
 */
public final class ShardedAdamW implements AutoCloseable, OptimizerCheckpoint {
  private final ZeroAdamW zero;
  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  /**
   * @param complete names of parameters whose gradient is complete on every sequence-parallel rank
   *     (see {@code DiT.hasCompleteGradient}); irrelevant without sequence parallelism
   */
  public ShardedAdamW(
      ParallelContext ctx, Module module, AdamWConfig config, Predicate<String> complete) {
    Map<String, Tensor> params = new LinkedHashMap<>();
    try (PointerScope s = new PointerScope()) {
      StringTensorDict dict = module.named_parameters(true);
      for (long i = 0; i < dict.size(); i++) {
        Tensor p = dict.get(i).value();
        if (p.requires_grad()) {
          String name = dict.get(i).key().getString();
          params.put(name, Scopes.keep(new Tensor(p)));
          shapes.put(name, Shapes.of(p));
        }
      }
    }
    if (params.isEmpty()) {
      throw new IllegalArgumentException(
          "AdamW: the module has no parameter that requires gradients");
    }
    try {
      zero = new ZeroAdamW(ctx, params, config, 2, complete);
    } finally {
      Scopes.closeAll(new ArrayList<>(params.values())); // ZeroAdamW keeps its own handles
    }
  }

  /** The underlying optimizer. */
  public ZeroAdamW zero() {
    return zero;
  }

  public void setLr(double lr) {
    zero.setLr(lr);
  }

  public void zeroGrad() {
    zero.zeroGrad();
  }

  /**
   * Averages the gradients into this rank's shard (a collective) and returns the global gradient
   * norm, the same on every rank.
   */
  public double reduceGradients() {
    return zero.reduceGradients();
  }

  /**
   * Clips to {@code maxNorm} (when > 0) and updates, from the gradients {@link #reduceGradients}
   * reduced.
   */
  public void step(double maxNorm) {
    zero.step(maxNorm);
  }

  /** The whole state, gathered from every rank: a collective, every rank must call it. */
  @Override
  public StateDict stateDict(Path scratch) {
    StateDict out = new StateDict();
    try (PointerScope s = new PointerScope()) {
      Map<String, Tensor> full = zero.fullOptimizerState();
      for (String name : shapes.keySet()) {
        long step = full.get(name + ".step").item_long();
        if (step == 0) {
          continue; // never stepped: libtorch's AdamW has no state for it either
        }
        for (String k : new String[] {".exp_avg", ".exp_avg_sq", ".step"}) {
          out.put(name + k, Scopes.keep(full.get(name + k)));
        }
      }
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /**
   * Takes a full state (from either optimizer): parameters without entries start fresh.
   *
   * @throws IllegalArgumentException listing missing, unexpected and mis-shaped entries
   */
  @Override
  public void loadStateDict(StateDict state, String source, Path scratch) {
    List<String> problems = new ArrayList<>();
    for (String n : state.names()) {
      int dot = n.lastIndexOf('.');
      String param = dot < 0 ? n : n.substring(0, dot);
      String suffix = dot < 0 ? "" : n.substring(dot);
      if (!shapes.containsKey(param)
          || !List.of(".exp_avg", ".exp_avg_sq", ".step").contains(suffix)) {
        problems.add("unexpected entry " + state.describe(n));
      }
    }
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      String name = e.getKey();
      int present = 0;
      for (String k : new String[] {".step", ".exp_avg", ".exp_avg_sq"}) {
        present += state.contains(name + k) ? 1 : 0;
      }
      if (present != 0 && present != 3) {
        problems.add(
            name + ": needs step, exp_avg and exp_avg_sq together, found " + present + " of 3");
      }
      for (String k : new String[] {".exp_avg", ".exp_avg_sq"}) {
        Tensor t = state.get(name + k);
        if (t != null && !Arrays.equals(e.getValue(), Shapes.of(t))) {
          problems.add(
              name
                  + k
                  + ": parameter "
                  + Arrays.toString(e.getValue())
                  + ", state "
                  + Arrays.toString(Shapes.of(t)));
        }
      }
      Tensor step = state.get(name + ".step");
      if (step != null && step.numel() != 1) {
        problems.add(
            name + ".step: expected one number, found " + Arrays.toString(Shapes.of(step)));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + ": optimizer state does not match the model's parameters: "
              + String.join("; ", problems));
    }
    try (PointerScope s = new PointerScope()) {
      Map<String, Tensor> full = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : shapes.entrySet()) {
        String name = e.getKey();
        if (state.contains(name + ".step")) {
          full.put(name + ".exp_avg", state.get(name + ".exp_avg").to(torch.ScalarType.Float));
          full.put(
              name + ".exp_avg_sq", state.get(name + ".exp_avg_sq").to(torch.ScalarType.Float));
          full.put(
              name + ".step", Tensors.of(new long[] {state.get(name + ".step").item_long()}, 1));
        } else {
          full.put(name + ".exp_avg", torch.zeros(e.getValue()));
          full.put(name + ".exp_avg_sq", torch.zeros(e.getValue()));
          full.put(name + ".step", Tensors.of(new long[] {0}, 1));
        }
      }
      zero.loadFullOptimizerState(full);
    }
  }

  @Override
  public void close() {
    zero.close();
  }
}
