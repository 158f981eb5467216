package io.jsora.parallel;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * Creates NCCL process groups. Kept in its own class so that the JVM loads {@link ProcessGroupNCCL}
 * (whose static initialiser needs the CUDA natives) only when a job asks for NCCL: the class exists
 * in the CPU build's jar too, and loading it there throws.
 */
final class NcclBackends {
  private NcclBackends() {}

  static Backend create(Store store, int rank, int size, long timeoutMs) {
    ProcessGroupNCCL.Options o = ProcessGroupNCCL.Options.create();
    try (Milliseconds t = new Milliseconds(timeoutMs)) {
      o.timeout(t);
    }
    return new ProcessGroupNCCL(store, rank, size, o);
  }

  /** Stops NCCL's own watchdog and communicators before the handle is released. */
  static void shutdown(Backend b) {
    if (b instanceof ProcessGroupNCCL) {
      b.shutdown();
    }
  }
}
