package io.jsora.parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * libtorch's own {@code torch::optim::AdamW}, with weight decay for ≥2-D parameters and none for
 * the others: the reference the tests compare {@link ZeroAdamW} with. Two optimizers rather than
 * two parameter groups (AdamW's update is per parameter, so this is the same): the Java binding of
 * {@code add_param_group} leaves a native object behind that nothing releases.
 */
final class LibtorchAdamW implements AutoCloseable {
  private final AdamWOptions decayOpts;
  private final AdamWOptions plainOpts;
  private final TensorVector decay;
  private final TensorVector plain;
  private final AdamW decayOpt;
  private final AdamW plainOpt;

  LibtorchAdamW(Map<String, Tensor> p, double lr, double weightDecay) {
    List<Tensor> d = new ArrayList<>();
    List<Tensor> n = new ArrayList<>();
    p.values().forEach(t -> (t.dim() >= 2 ? d : n).add(t));
    decayOpts = new AdamWOptions(lr);
    decayOpts.weight_decay().put(weightDecay);
    plainOpts = new AdamWOptions(lr);
    plainOpts.weight_decay().put(0.0);
    decay = new TensorVector(d.toArray(new Tensor[0]));
    plain = new TensorVector(n.toArray(new Tensor[0]));
    decayOpt = new AdamW(decay, decayOpts);
    plainOpt = new AdamW(plain, plainOpts);
  }

  void zeroGrad() {
    decayOpt.zero_grad();
    plainOpt.zero_grad();
  }

  void step() {
    decayOpt.step();
    plainOpt.step();
  }

  @Override
  public void close() {
    plainOpt.close();
    decayOpt.close();
    plain.close();
    decay.close();
    plainOpts.close();
    decayOpts.close();
  }
}
