package io.jsora.train;

import io.jsora.checkpoint.StateDict;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a checkpoint needs of an optimizer: its whole state as named tensors ({@code
 * <param>.exp_avg}, {@code <param>.exp_avg_sq}, {@code <param>.step}, by parameter name), and
 * putting such a state back. {@link AdamWOptimizer} (one process, or state replicated on every
 * rank) and {@link ShardedAdamW} (ZeRO-2: state sharded over the ranks, gathered for the file)
 * write the same format, so either loads the other's checkpoints.
 */
public interface OptimizerCheckpoint {
  /**
   * The full state; caller owns the result. For a sharded optimizer this is a collective: every
   * rank must call it.
   *
   * @param scratch a directory for temporary files (e.g. the checkpoint being written)
   */
  StateDict stateDict(Path scratch) throws IOException;

  /**
   * Restores a state {@link #stateDict} wrote (every rank reads the same file).
   *
   * @param source names the state in error messages (usually the file)
   * @param scratch a directory for temporary files
   * @throws IllegalArgumentException naming missing, unexpected or mis-shaped entries
   */
  void loadStateDict(StateDict state, String source, Path scratch) throws IOException;

  /**
   * A state already gathered, for the rank that saves it: {@link #stateDict} returns new handles to
   * {@code gathered}'s tensors (the save closes those); the caller keeps owning {@code gathered}.
   * It cannot load.
   */
  static OptimizerCheckpoint of(StateDict gathered) {
    return new OptimizerCheckpoint() {
      @Override
      public StateDict stateDict(Path scratch) {
        StateDict s = new StateDict();
        for (String n : gathered.names()) {
          s.put(n, new org.bytedeco.pytorch.Tensor(gathered.get(n)));
        }
        return s;
      }

      @Override
      public void loadStateDict(StateDict s, String source, Path scratch) {
        throw new UnsupportedOperationException("a gathered optimizer state cannot be loaded into");
      }
    };
  }
}
