package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;

/**
 * A module that only names its children, standing where the PyTorch model has an {@code
 * nn.Sequential} whose parameter-free members (ReLU) leave gaps in the numbering ({@code block.0},
 * {@code block.2} ...). The owner runs the children itself.
 */
final class Container extends Layer {
  Container(Device device) {
    super(device);
  }

  <M extends Module> M add(String name, M module) {
    return child(name, module);
  }
}
