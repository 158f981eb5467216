package io.jsora.model.osvae;

import org.bytedeco.pytorch.Device;

/**
 * Stands where upstream's module list holds an {@code nn.Identity} (a level without time
 * resampling): no state, keeps the numbering.
 */
final class Identity extends io.jsora.nn.Layer {
  Identity(Device device) {
    super(device);
  }
}
