package io.jsora.train;

import static io.jsora.run.CheckpointLayout.CONFIG;
import static io.jsora.run.CheckpointLayout.EMA;
import static io.jsora.run.CheckpointLayout.MODEL;
import static io.jsora.run.CheckpointLayout.OPTIMIZER;
import static io.jsora.run.CheckpointLayout.STATE;
import static io.jsora.run.CheckpointLayout.dirName;
import static io.jsora.run.CheckpointLayout.list;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.StrictLoader;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Module;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints, one directory per save:
 *
 * <pre>
 * CHECKPOINT_DIR/step-0000123/
 *   model.safetensors      the model's parameters and buffers (upstream names)
 *   ema.safetensors        the fp32 EMA parameters plus the model's buffers (loads like the model)
 *   optimizer.safetensors  AdamW state: &lt;param&gt;.exp_avg, &lt;param&gt;.exp_avg_sq, &lt;param&gt;.step
 *                          (the full state: a ZeRO-2 run gathers it from every rank first)
 *   state.json             {@link TrainState}: step, epoch, scheduler, data position, RNG, NaN counts
 *   config.json            whatever the trainer passes (model, compressor, text encoder, training)
 * </pre>
 *
 * <p><b>Atomic.</b> A save writes into {@code .tmp-step-…} beside the final directory, forces each
 * file and the directory to disk, then renames it to {@code step-…} in one step and forces the
 * parent. A crash at any moment leaves the earlier checkpoints untouched and at most a {@code
 * .tmp-*} directory, which {@link #latest} never picks and the next save deletes. Old checkpoints
 * beyond the last K are first renamed to {@code .trash-*}, then deleted, so a half-deleted one is
 * never mistaken for a checkpoint either.
 */
public final class Checkpointer {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Called after each file of a save is written; tests use it to crash a save midway. */
  @FunctionalInterface
  interface Hook {
    void afterWrite(String file) throws IOException;
  }

  private final Path root;
  private final int keepLast;
  private Hook hook = f -> {};

  /**
   * @param root the run's checkpoint directory (created when missing)
   * @param keepLast how many checkpoints to keep, newest first; 0 keeps all
   */
  public Checkpointer(Path root, int keepLast) {
    if (keepLast < 0) {
      throw new IllegalArgumentException(
          "keep-last must be >= 0 (0 keeps every checkpoint), got " + keepLast);
    }
    this.root = root;
    this.keepLast = keepLast;
  }

  void setHook(Hook h) {
    this.hook = h;
  }

  public Path root() {
    return root;
  }

  /**
   * Saves a checkpoint for {@code state.step()} and prunes old ones.
   *
   * @param ema null when the run keeps no EMA
   * @param optimizer null for weights-only checkpoints
   * @param config serialisable by Jackson (a record, a map or a {@link JsonNode})
   * @return the checkpoint directory
   */
  public Path save(
      Module model, Ema ema, OptimizerCheckpoint optimizer, TrainState state, Object config)
      throws IOException {
    return save(model, ema, optimizer, state, config, Map.of());
  }

  /**
   * Saves like {@link #save(Module, Ema, OptimizerCheckpoint, TrainState, Object)}, also copying
   * each attachment (a file or a directory tree, e.g. the text encoder the run conditions on) into
   * the checkpoint under its name, so the checkpoint is complete on its own.
   */
  public Path save(
      Module model,
      Ema ema,
      OptimizerCheckpoint optimizer,
      TrainState state,
      Object config,
      Map<String, Path> attachments)
      throws IOException {
    Files.createDirectories(root);
    removeLeftovers();
    String name = dirName(state.step());
    Path tmp = Files.createTempDirectory(root, ".tmp-" + name + "-");
    boolean done = false;
    try {
      Map<String, String> meta = Map.of("format", "pt", "step", Long.toString(state.step()));
      try (StateDict sd = StateDict.of(model)) {
        SafetensorsWriter.write(tmp.resolve(MODEL), sd, meta);
      }
      hook.afterWrite(MODEL);
      if (ema != null) {
        try (StateDict sd = ema.stateDict();
            StateDict all = StateDict.of(model)) {
          for (String n : all.names()) {
            if (!sd.contains(n)) {
              sd.put(
                  n,
                  new org.bytedeco.pytorch.Tensor(
                      all.get(n))); // buffers, so the file loads like the model
            }
          }
          SafetensorsWriter.write(tmp.resolve(EMA), sd, meta);
        }
        hook.afterWrite(EMA);
      }
      if (optimizer != null) {
        try (StateDict sd = optimizer.stateDict(tmp)) {
          SafetensorsWriter.write(tmp.resolve(OPTIMIZER), sd, meta);
        }
        hook.afterWrite(OPTIMIZER);
      }
      for (Map.Entry<String, Path> a : attachments.entrySet()) {
        copyTree(a.getValue(), tmp.resolve(a.getKey()));
      }
      AtomicFiles.writeString(
          tmp.resolve(CONFIG), JSON.writeValueAsString(config == null ? Map.of() : config));
      hook.afterWrite(CONFIG);
      AtomicFiles.writeString(tmp.resolve(STATE), JSON.writeValueAsString(state));
      hook.afterWrite(STATE);
      force(tmp);
      Path target = root.resolve(name);
      if (Files.exists(target)) {
        trash(target); // saving the same step again (e.g. the final save after an interval save)
      }
      move(tmp, target);
      force(root);
      done = true;
      log.debug("saved checkpoint {}", target);
      prune();
      return target;
    } finally {
      if (!done) {
        AtomicFiles.deleteTree(tmp);
      }
    }
  }

  /** Deletes all but the newest {@code keepLast} checkpoints. */
  private void prune() throws IOException {
    if (keepLast == 0) {
      return;
    }
    List<Path> all = list(root);
    for (int i = 0; i < all.size() - keepLast; i++) {
      trash(all.get(i));
    }
    removeLeftovers();
  }

  private void trash(Path dir) throws IOException {
    Path bin = Files.createTempDirectory(root, ".trash-");
    Path moved = bin.resolve(dir.getFileName());
    move(dir, moved);
    AtomicFiles.deleteTree(bin);
  }

  /** Deletes {@code .tmp-*} and {@code .trash-*} directories left by interrupted saves. */
  private void removeLeftovers() throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if ((n.startsWith(".tmp-") || n.startsWith(".trash-")) && Files.isDirectory(p)) {
          AtomicFiles.deleteTree(p);
        }
      }
    }
  }

  // ---------------------------------------------------------------- loading

  /** The run state of a checkpoint. */
  public static TrainState readState(Path dir) throws IOException {
    try {
      return JSON.readValue(dir.resolve(STATE).toFile(), TrainState.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(
          dir.resolve(STATE) + ": not a valid train state: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Loads a checkpoint into freshly built objects so training continues exactly where it stopped.
   *
   * @param ema null to skip the EMA
   * @param optimizer null to skip the optimizer state (fine-tuning from weights)
   * @return the saved run state (step, schedule, data position, ...)
   */
  public static TrainState restore(Path dir, Module model, Ema ema, OptimizerCheckpoint optimizer)
      throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(MODEL));
        StateDict sd = f.readAll()) {
      StrictLoader.load(model, sd, dir.resolve(MODEL).toString());
    }
    if (ema != null) {
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(EMA));
          StateDict sd = f.readAll()) {
        ema.load(sd, dir.resolve(EMA).toString());
      }
    }
    if (optimizer != null) {
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(OPTIMIZER));
          StateDict sd = f.readAll()) {
        optimizer.loadStateDict(
            sd, dir.resolve(OPTIMIZER).toString(), dir.getParent() == null ? dir : dir.getParent());
      }
    }
    return readState(dir);
  }

  // ---------------------------------------------------------------- files

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  /** Forces a directory's entries to disk (where the platform allows opening directories). */
  static void force(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    if (!Files.exists(from)) {
      throw new NoSuchFileException(from.toString(), null, "checkpoint attachment is missing");
    }
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
