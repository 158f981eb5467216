package io.jsora.model.vae;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code nn.BatchNorm3d} (eps 1e-5, momentum 0.1) with its state-dict entries {@code weight},
 * {@code bias}, {@code running_mean}, {@code running_var} and the int64 scalar {@code
 * num_batches_tracked}. Training mode normalises with batch statistics and updates the running
 * ones; eval mode uses the running statistics.
 */
final class BatchNorm3d extends Layer {
  final Tensor weight;
  final Tensor bias;
  final Tensor runningMean;
  final Tensor runningVar;
  final Tensor numBatchesTracked;

  BatchNorm3d(long channels, Device device) {
    super(device);
    weight = parameter("weight", channels);
    bias = parameter("bias", channels);
    fill(weight, 1.0);
    fill(bias, 0.0);
    runningMean = buffer("running_mean", 0.0, channels);
    runningVar = buffer("running_var", 1.0, channels);
    try (TensorOptions base = new TensorOptions(ScalarType.Long);
        org.bytedeco.pytorch.DeviceOptional d = new org.bytedeco.pytorch.DeviceOptional(device);
        TensorOptions o = base.device(d)) {
      numBatchesTracked = buffer("num_batches_tracked", torch.zeros(new long[] {}, o));
    }
  }

  /** {@code x [B, C, T, H, W]} → same shape. */
  Tensor forward(Tensor x) {
    boolean training = is_training();
    if (training) {
      try (NoGradGuard g = new NoGradGuard();
          Scalar one = new Scalar(1L)) {
        numBatchesTracked.add_(one);
      }
    }
    return torch.batch_norm(
        x,
        new TensorOptional(weight),
        new TensorOptional(bias),
        new TensorOptional(runningMean),
        new TensorOptional(runningVar),
        training,
        0.1,
        1e-5,
        true);
  }
}
