package io.jsora.checkpoint;

import io.jsora.tensor.Natives;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.GenericDict;
import org.bytedeco.pytorch.GenericDictIterator;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads state dicts saved by Python's {@code torch.save} ({@code .pt}, {@code .pth}, {@code .bin}).
 *
 * <p>libtorch's own unpickler is tried first; it reads plain {@code dict}s of tensors. It turns
 * {@code collections.OrderedDict} (what {@code module.state_dict()} returns, so most real files)
 * into None, so those go through {@link TorchPickle}, a restricted unpickler that understands the
 * state-dict vocabulary only and never runs code. Nested dicts are flattened with dotted names
 * ({@code {"model": {"w": t}}} gives {@code model.w}); non-tensor values are skipped and listed.
 */
public final class TorchCheckpoint {
  private static final Logger log = LoggerFactory.getLogger(TorchCheckpoint.class);

  /**
   * Largest file given to libtorch's unpickler, which needs it as one in-memory buffer (a Java
   * array holds under 2 GiB); larger files go through {@link TorchPickle}, storage by storage.
   */
  static final long LIBTORCH_MAX_BYTES = 256L << 20;

  private TorchCheckpoint() {}

  /** What a read produced: the tensors, and the names of values that were not tensors. */
  public record Result(StateDict tensors, List<String> skipped) {}

  /** Reads {@code path}; the caller owns the returned state dict. */
  public static Result read(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new WeightsFormatException(path, "no such file");
    }
    if (Files.size(path) == 0) {
      throw new WeightsFormatException(path, "file is empty (0 bytes)");
    }
    if (!isZip(path)) {
      throw new WeightsFormatException(
          path,
          "not a torch.save zip archive (legacy pre-1.6 format or not a PyTorch file); re-save it in Python with "
              + "torch.save(dict(sd), 'out.pt') or convert it with safetensors.torch.save_file(sd, 'out.safetensors')");
    }
    Natives.load();
    long size = Files.size(path);
    if (size > LIBTORCH_MAX_BYTES) {
      // libtorch's unpickler takes the whole file as one buffer; a large file (the released T5
      // shards are 2-10 GB) is read storage by storage instead, never held whole
      log.debug("{}: {} bytes, read storage by storage", path, size);
      return TorchPickle.read(path);
    }
    Result viaLibtorch = readWithLibtorch(path);
    if (viaLibtorch != null) {
      return viaLibtorch;
    }
    log.debug(
        "{}: libtorch's unpickler returned no dict; reading with the restricted unpickler", path);
    return TorchPickle.read(path);
  }

  /** Chooses tensors by name and shape before their bytes are read. */
  @FunctionalInterface
  public interface TensorFilter {
    boolean wants(String name, long[] shape);
  }

  /** Receives one tensor; it is valid only during the call (copy what must outlive it). */
  @FunctionalInterface
  public interface TensorVisitor {
    void accept(String name, Tensor tensor) throws IOException;
  }

  /**
   * Reads the tensors of {@code path} that {@code filter} wants, one at a time, each freed after
   * {@code visitor} has seen it: loading a multi-gigabyte shard into a model needs memory for one
   * tensor beyond the model, and tensors not wanted (a T5 checkpoint's decoder) are never read.
   *
   * @return the names of values that were not tensors
   */
  public static List<String> visit(Path path, TensorFilter filter, TensorVisitor visitor)
      throws IOException {
    if (!Files.exists(path)) {
      throw new WeightsFormatException(path, "no such file");
    }
    if (!isZip(path)) {
      throw new WeightsFormatException(path, "not a torch.save zip archive");
    }
    Natives.load();
    return TorchPickle.visit(path, filter, visitor);
  }

  /** Whether the file starts with a zip local-file header. */
  static boolean isZip(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4
          && magic[0] == 'P'
          && magic[1] == 'K'
          && magic[2] == 3
          && magic[3] == 4;
    } catch (NoSuchFileException e) {
      throw new WeightsFormatException(path, "no such file");
    }
  }

  /** libtorch's unpickler; null when it cannot give a dict (OrderedDict, pickled classes). */
  private static Result readWithLibtorch(Path path) throws IOException {
    byte[] bytes = Files.readAllBytes(path);
    StateDict sd = new StateDict();
    List<String> skipped = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      ByteVector v = new ByteVector(bytes.length);
      long begin = new LongPointer(v).get(0); // libstdc++ vector: first word is the data pointer
      new BytePointer(
              new Pointer() {
                {
                  address = begin;
                }
              })
          .capacity(bytes.length)
          .put(bytes, 0, bytes.length);
      IValue root;
      try {
        root = torch.pickle_load(v);
      } catch (RuntimeException e) {
        log.debug("{}: libtorch unpickler: {}", path, firstLine(e.getMessage()));
        sd.close();
        return null;
      }
      if (root == null || !root.isGenericDict()) {
        sd.close();
        return null;
      }
      flatten(root.toGenericDict(), "", sd, skipped);
      return new Result(sd, skipped);
    } catch (RuntimeException e) {
      sd.close();
      throw e;
    }
  }

  private static void flatten(
      GenericDict dict, String prefix, StateDict out, List<String> skipped) {
    GenericDictIterator it = dict.begin();
    for (long i = 0; i < dict.size(); i++, it.increment()) {
      IValue key = it.access().key();
      IValue value = it.access().value();
      String name =
          prefix
              + (key.isString()
                  ? key.toStringRef().getString()
                  : key.isInt() ? Long.toString(key.toInt()) : "?" + i);
      if (value.isTensor()) {
        out.put(name, io.jsora.tensor.Scopes.keep(value.toTensor().contiguous()));
      } else if (value.isGenericDict()) {
        flatten(value.toGenericDict(), name + ".", out, skipped);
      } else {
        skipped.add(name);
      }
    }
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The name prefix of entries in a torch.save archive ({@code archive/}), from its data.pkl. */
  static String archivePrefix(ZipFile zip, Path path) throws WeightsFormatException {
    for (ZipEntry e : java.util.Collections.list(zip.entries())) {
      if (e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl")) {
        return e.getName().substring(0, e.getName().length() - "data.pkl".length());
      }
    }
    throw new WeightsFormatException(path, "zip archive has no data.pkl: not a torch.save file");
  }
}
