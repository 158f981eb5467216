package io.jsora.checkpoint;

import io.jsora.tensor.DType;
import java.io.IOException;
import java.nio.file.Path;

/** Lets tests in other packages use the torch.save fixtures and their expected values. */
public final class TorchCheckpointTestAccess {
  private TorchCheckpointTestAccess() {}

  public static Path fixture(String name) {
    return TorchCheckpointTest.fixture(name);
  }

  /** A copy of the torch.save archive {@code source} behind a sparse {@code padding}, as ZIP64. */
  public static void sparseZip64(Path source, Path out, long padding) throws IOException {
    SparseZip64.write(source, out, padding);
  }

  public static void assertMatchesExpected(StateDict sd, String prefix, DType castFloatsTo)
      throws IOException {
    TorchCheckpointTest.assertMatchesExpected(sd, prefix, castFloatsTo);
  }
}
