package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.AdamWConfig;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.OptimizerParamGroup;
import org.bytedeco.pytorch.OptimizerParamGroupVector;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Tuple;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch's AdamW over a module's trainable parameters, with the parameter names kept so its state
 * can be saved as {@code <name>.exp_avg}, {@code <name>.exp_avg_sq} and {@code <name>.step}.
 *
 * <p><b>Groups.</b> With weight decay 0 (the default) there is one group. Otherwise group 0 holds
 * the parameters of 2 or more dimensions, decayed, and group 1 the rest (biases, norm scales), not
 * decayed.
 *
 * <p><b>State.</b> The Java binding does not expose {@code Optimizer::state()}, so the state is
 * read and written through libtorch's own optimizer archive (the format {@code save}/{@code load}
 * use, a TorchScript archive with {@code state/<key>/{step,exp_avg,exp_avg_sq}} and {@code
 * param_groups/<g>/{params/<i>,options}}): {@link #stateDict} saves the archive to a scratch file
 * and reads the tensors back by parameter position; {@link #loadStateDict} builds such an archive
 * from named tensors and hands it to {@code load}. Both are exact (raw tensor bytes).
 */
public final class AdamWOptimizer implements AutoCloseable, OptimizerCheckpoint {
  private final AdamW optimizer;
  private final AdamWConfig config;
  private final List<List<String>> groupNames;
  private final List<List<Tensor>> groupParams;

  private AdamWOptimizer(
      AdamW optimizer, AdamWConfig config, List<List<String>> names, List<List<Tensor>> params) {
    this.optimizer = optimizer;
    this.config = config;
    this.groupNames = names;
    this.groupParams = params;
  }

  /**
   * AdamW over the parameters of {@code module} that require gradients, in the module's order.
   *
   * @throws IllegalArgumentException if the module has no trainable parameter
   */
  public static AdamWOptimizer create(Module module, AdamWConfig config) {
    List<String> decayNames = new ArrayList<>();
    List<Tensor> decay = new ArrayList<>();
    List<String> plainNames = new ArrayList<>();
    List<Tensor> plain = new ArrayList<>();
    try (PointerScope s = new PointerScope()) {
      StringTensorDict dict = module.named_parameters(true);
      for (long i = 0; i < dict.size(); i++) {
        var item = dict.get(i);
        Tensor p = item.value();
        if (!p.requires_grad()) {
          continue;
        }
        boolean decayed = config.weightDecay() > 0 && p.dim() >= 2;
        (decayed ? decayNames : plainNames).add(item.key().getString());
        (decayed ? decay : plain).add(Scopes.keep(new Tensor(p)));
      }
    }
    List<List<String>> names = new ArrayList<>();
    List<List<Tensor>> params = new ArrayList<>();
    if (!decay.isEmpty()) {
      names.add(List.copyOf(decayNames));
      params.add(List.copyOf(decay));
    }
    if (!plain.isEmpty()) {
      names.add(List.copyOf(plainNames));
      params.add(List.copyOf(plain));
    }
    if (params.isEmpty()) {
      throw new IllegalArgumentException(
          "AdamW: the module has no parameter that requires gradients");
    }
    AdamW opt;
    try (AdamWOptions o = new AdamWOptions(config.lr());
        TensorVector first = new TensorVector(params.get(0).toArray(new Tensor[0]))) {
      // the betas field is a std::tuple laid out in reverse: index 0 is beta2
      o.betas().put(0, config.beta2()).put(1, config.beta1());
      o.eps().put(config.eps());
      o.weight_decay().put(decay.isEmpty() ? 0.0 : config.weightDecay());
      o.amsgrad().put(false);
      opt = new AdamW(first, o);
    }
    if (params.size() == 2) {
      // a group without options takes a copy of the defaults; then switch its decay off
      try (TensorVector second = new TensorVector(params.get(1).toArray(new Tensor[0]));
          OptimizerParamGroup g = new OptimizerParamGroup(second)) {
        opt.add_param_group(g);
      }
      groupOptions(opt, 1).weight_decay().put(0.0);
    }
    return new AdamWOptimizer(
        opt, config, Collections.unmodifiableList(names), Collections.unmodifiableList(params));
  }

  /** The options of group {@code g}, a view into the optimizer (not owned). */
  private static AdamWOptions groupOptions(AdamW opt, int g) {
    OptimizerParamGroupVector groups = opt.param_groups();
    return new AdamWOptions(groups.get(g).options());
  }

  /** The libtorch optimizer (owned by this object). */
  public AdamW torch() {
    return optimizer;
  }

  public AdamWConfig config() {
    return config;
  }

  /** Parameter names per group, in the optimizer's order. */
  public List<List<String>> groupNames() {
    return groupNames;
  }

  /** The names of the parameters that receive weight decay (empty when the decay is 0). */
  public List<String> decayedNames() {
    return config.weightDecay() > 0 && groupParams.get(0).get(0).dim() >= 2
        ? groupNames.get(0)
        : List.of();
  }

  /** Every optimized parameter in group order: handles owned by this object. */
  public List<Tensor> parameters() {
    List<Tensor> all = new ArrayList<>();
    groupParams.forEach(all::addAll);
    return all;
  }

  /** Sets the learning rate of every group. */
  public void setLr(double lr) {
    for (int g = 0; g < groupParams.size(); g++) {
      groupOptions(optimizer, g).set_lr(lr);
    }
  }

  /** The learning rate of group 0. */
  public double lr() {
    return groupOptions(optimizer, 0).get_lr();
  }

  /** Weight decay of each group, as libtorch holds it. */
  public double[] weightDecays() {
    double[] out = new double[groupParams.size()];
    for (int g = 0; g < out.length; g++) {
      out[g] = groupOptions(optimizer, g).weight_decay().get();
    }
    return out;
  }

  /** {@code (beta1, beta2)} of group 0 as libtorch holds them. */
  public double[] betas() {
    AdamWOptions o = groupOptions(optimizer, 0);
    return new double[] {o.betas().get(1), o.betas().get(0)};
  }

  /** Clears gradients (sets them to undefined, as PyTorch's {@code set_to_none}). */
  public void zeroGrad() {
    optimizer.zero_grad(true);
  }

  /** One AdamW update from the current gradients. */
  public void step() {
    try (PointerScope s = new PointerScope()) {
      optimizer.step();
    }
  }

  // ---------------------------------------------------------------- state

  /**
   * The optimizer state as named CPU tensors: {@code <name>.exp_avg}, {@code <name>.exp_avg_sq}
   * (the parameter's shape and dtype) and {@code <name>.step} (int64 {@code [1]}), for every
   * parameter that has been stepped. Caller owns the result.
   *
   * @param scratch a directory for the temporary archive (e.g. the checkpoint being written)
   */
  @Override
  public StateDict stateDict(Path scratch) throws IOException {
    Path file = Files.createTempFile(scratch, ".adamw-", ".pt");
    StateDict out = new StateDict();
    try (PointerScope s = new PointerScope()) {
      OutputArchive oa = new OutputArchive();
      optimizer.save(oa);
      oa.save_to(file.toString());
      InputArchive root = new InputArchive();
      root.load_from(file.toString());
      InputArchive state = new InputArchive();
      root.read("state", state);
      InputArchive groups = new InputArchive();
      root.read("param_groups", groups);
      for (int g = 0; g < groupParams.size(); g++) {
        InputArchive group = new InputArchive();
        groups.read("param_groups/" + g, group);
        for (int i = 0; i < groupParams.get(g).size(); i++) {
          IValue key = new IValue();
          group.read("params/" + i, key);
          InputArchive ps = new InputArchive();
          if (!state.try_read(key.toStringRef().getString(), ps)) {
            continue; // never stepped
          }
          String name = groupNames.get(g).get(i);
          IValue step = new IValue();
          ps.read("step", step);
          out.put(
              name + ".step",
              Scopes.keep(io.jsora.tensor.Tensors.of(new long[] {step.toInt()}, 1)));
          out.put(name + ".exp_avg", Scopes.keep(readTensor(ps, "exp_avg")));
          out.put(name + ".exp_avg_sq", Scopes.keep(readTensor(ps, "exp_avg_sq")));
        }
      }
    } catch (RuntimeException e) {
      out.close();
      throw e;
    } finally {
      Files.deleteIfExists(file);
    }
    return out;
  }

  /** Reads a tensor attribute of an archive as a new CPU tensor the caller owns. */
  private static Tensor readTensor(InputArchive a, String key) {
    IValue v = new IValue();
    a.read(key, v);
    return v.toTensor().cpu().contiguous(); // its own storage: the archive is freed right after
  }

  /**
   * Restores the state written by {@link #stateDict} into a freshly created optimizer (as
   * libtorch's {@code load}, it sets the state of the parameters listed and leaves the others as
   * they are). Every parameter must have all three entries or none (never stepped), with matching
   * shapes.
   *
   * @param source names the state in error messages (usually the file)
   * @param scratch a directory for the temporary archive
   * @throws IllegalArgumentException listing missing, unexpected and mis-shaped entries; the
   *     optimizer is unchanged when thrown
   */
  @Override
  public void loadStateDict(StateDict state, String source, Path scratch) throws IOException {
    check(state, source);
    Path file = Files.createTempFile(scratch, ".adamw-", ".pt");
    try (PointerScope s = new PointerScope()) {
      OutputArchive root = new OutputArchive();
      root.write("pytorch_version", new IValue("1.5.0"));
      OutputArchive states = new OutputArchive(root.compilation_unit());
      OutputArchive groups = new OutputArchive(root.compilation_unit());
      groups.write(
          "param_groups/size", io.jsora.tensor.Tensors.of(new long[] {groupParams.size()}, 1));
      for (int g = 0; g < groupParams.size(); g++) {
        OutputArchive group = new OutputArchive(root.compilation_unit());
        List<Tensor> params = groupParams.get(g);
        group.write("params/size", io.jsora.tensor.Tensors.of(new long[] {params.size()}, 1));
        for (int i = 0; i < params.size(); i++) {
          // libtorch parses these keys as numbers (they were tensor addresses): any distinct
          // numbers do
          String key = Long.toString(1_000_000L * (g + 1) + i);
          group.write("params/" + i, new IValue(key));
          String name = groupNames.get(g).get(i);
          if (!state.contains(name + ".step")) {
            continue;
          }
          Tensor p = params.get(i);
          OutputArchive ps = new OutputArchive(root.compilation_unit());
          ps.write("step", new IValue(state.get(name + ".step").item_long()));
          ps.write(
              "exp_avg", new IValue(state.get(name + ".exp_avg").to(p.scalar_type()).contiguous()));
          ps.write(
              "exp_avg_sq",
              new IValue(state.get(name + ".exp_avg_sq").to(p.scalar_type()).contiguous()));
          states.write(key, ps);
        }
        AdamWOptions o = groupOptions(optimizer, g);
        OutputArchive options = new OutputArchive(root.compilation_unit());
        options.write("lr", new IValue(o.get_lr()));
        options.write(
            "betas",
            new IValue(Tuple.create(new IValue(o.betas().get(1)), new IValue(o.betas().get(0)))));
        options.write("eps", new IValue(o.eps().get()));
        options.write("weight_decay", new IValue(o.weight_decay().get()));
        options.write("amsgrad", new IValue(o.amsgrad().get()));
        group.write("options", options);
        groups.write("param_groups/" + g, group);
      }
      root.write("state", states);
      root.write("param_groups", groups);
      root.save_to(file.toString());
      InputArchive in = new InputArchive();
      Device device = groupParams.get(0).get(0).device();
      in.load_from(file.toString(), new DeviceOptional(device));
      optimizer.load(in);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private void check(StateDict state, String source) {
    List<String> problems = new ArrayList<>();
    Set<String> expected = new LinkedHashSet<>();
    for (int g = 0; g < groupParams.size(); g++) {
      for (int i = 0; i < groupParams.get(g).size(); i++) {
        String name = groupNames.get(g).get(i);
        long[] shape = Shapes.of(groupParams.get(g).get(i));
        int present = 0;
        for (String suffix : new String[] {".step", ".exp_avg", ".exp_avg_sq"}) {
          expected.add(name + suffix);
          if (state.contains(name + suffix)) {
            present++;
          }
        }
        if (present != 0 && present != 3) {
          problems.add(
              name + ": needs step, exp_avg and exp_avg_sq together, found " + present + " of 3");
        }
        for (String suffix : new String[] {".exp_avg", ".exp_avg_sq"}) {
          Tensor t = state.get(name + suffix);
          if (t != null && !Arrays.equals(shape, Shapes.of(t))) {
            problems.add(
                name
                    + suffix
                    + ": parameter "
                    + Arrays.toString(shape)
                    + ", state "
                    + Arrays.toString(Shapes.of(t)));
          }
        }
        Tensor step = state.get(name + ".step");
        if (step != null
            && (step.numel() != 1 || step.scalar_type().value != ScalarType.Long.value)) {
          problems.add(
              name + ".step: expected one int64, found " + Arrays.toString(Shapes.of(step)));
        }
      }
    }
    for (String n : state.names()) {
      if (!expected.contains(n)) {
        problems.add("unexpected entry " + state.describe(n));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + ": optimizer state does not match the model's parameters: "
              + String.join("; ", problems));
    }
  }

  @Override
  public void close() {
    groupParams.forEach(l -> l.forEach(Tensor::close));
    optimizer.close();
  }
}
