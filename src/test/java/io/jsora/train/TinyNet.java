package io.jsora.train;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Seeds;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * proj.weight [4, 3], proj.bias [4], scale [4] (1-D), head.weight [2, 4], head.bias [2]; buffer
 * "shift" [2].
 */
final class TinyNet extends Module {
  final LinearImpl proj;
  final LinearImpl head;
  final Tensor scale;
  final Tensor shift;

  TinyNet(long seed) {
    Seeds.manualSeed(seed);
    proj = register_module("proj", new LinearImpl(3, 4));
    head = register_module("head", new LinearImpl(4, 2));
    try (PointerScope s = new PointerScope()) {
      scale = Scopes.keep(new Tensor(register_parameter("scale", torch.ones(4))));
      shift =
          Scopes.keep(
              new Tensor(register_buffer("shift", torch.full(new long[] {2}, new Scalar(0.25)))));
    }
  }

  Tensor forward(Tensor x) {
    Tensor h = torch.tanh(proj.forward(x)).mul(scale); // (B, 4)
    return head.forward(h).add(shift); // (B, 2)
  }

  /** A fixed regression batch that depends on the step, so runs see the same data. */
  static Tensor[] batch(long step) {
    org.bytedeco.pytorch.Generator g = torch.createCPUGenerator(1000 + step);
    Tensor x =
        torch.randn(
            new long[] {8, 3},
            new org.bytedeco.pytorch.GeneratorOptional(g),
            new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float));
    Tensor y = x.narrow(1, 0, 2).mul(new Scalar(2.0)).sin();
    return new Tensor[] {x, y};
  }

  @Override
  public void close() {
    proj.close();
    head.close();
    scale.close();
    shift.close();
    super.close();
  }
}
