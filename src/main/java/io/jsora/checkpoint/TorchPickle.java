package io.jsora.checkpoint;

import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * A restricted unpickler for {@code torch.save} zip archives. It knows exactly the classes a state
 * dict is made of ({@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2}, {@code
 * _rebuild_parameter}, the {@code torch.*Storage} types) and the pickle opcodes of protocols 2-5
 * that carry plain data. Anything else (a pickled model class, an optimizer object) is refused with
 * a message saying how to re-save the file; nothing from the file is ever executed.
 */
final class TorchPickle {
  private static final Object MARK = new Object();

  /** A Python global the file names, e.g. {@code collections.OrderedDict}. */
  private record Global(String module, String name) {
    String qualified() {
      return module + "." + name;
    }
  }

  /** A storage reference from a persistent id: where its bytes are and what type they hold. */
  private record StorageRef(String key, DType dtype, long numel) {}

  /** A tensor not yet materialised. */
  private record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  private final Path path;
  private final ZipFile zip;
  private final String prefix;
  private final Map<String, Tensor> storages = new HashMap<>();

  /** Owns the storage tensors; opened in the constructor, closed when reading ends. */
  private final PointerScope scope = new PointerScope();

  private TorchPickle(Path path, ZipFile zip, String prefix) {
    this.path = path;
    this.zip = zip;
    this.prefix = prefix;
  }

  static TorchCheckpoint.Result read(Path path) throws IOException {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      String prefix = TorchCheckpoint.archivePrefix(zip, path);
      byte[] pkl;
      try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data.pkl"))) {
        pkl = in.readAllBytes();
      }
      TorchPickle p = new TorchPickle(path, zip, prefix);
      try {
        Object root = p.unpickle(ByteBuffer.wrap(pkl).order(ByteOrder.LITTLE_ENDIAN));
        StateDict sd = new StateDict();
        List<String> skipped = new ArrayList<>();
        try {
          if (!(root instanceof Map)) {
            throw new WeightsFormatException(
                path, "top-level object is " + describe(root) + ", not a dict of tensors");
          }
          p.flatten((Map<?, ?>) root, "", sd, skipped);
        } catch (IOException | RuntimeException e) {
          sd.close();
          throw e;
        }
        return new TorchCheckpoint.Result(sd, skipped);
      } finally {
        p.scope.close();
      }
    }
  }

  /**
   * Reads the tensors {@code filter} wants, one at a time: each is read from its storage, given to
   * {@code visitor} and freed before the next, so memory holds one tensor (and its storage), not
   * the file. Names and shapes are known before any bytes are read.
   *
   * @return the names of values that were not tensors
   */
  static List<String> visit(
      Path path, TorchCheckpoint.TensorFilter filter, TorchCheckpoint.TensorVisitor visitor)
      throws IOException {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      String prefix = TorchCheckpoint.archivePrefix(zip, path);
      byte[] pkl;
      try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data.pkl"))) {
        pkl = in.readAllBytes();
      }
      TorchPickle p = new TorchPickle(path, zip, prefix);
      try {
        Object root = p.unpickle(ByteBuffer.wrap(pkl).order(ByteOrder.LITTLE_ENDIAN));
        if (!(root instanceof Map)) {
          throw new WeightsFormatException(
              path, "top-level object is " + describe(root) + ", not a dict of tensors");
        }
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        refs((Map<?, ?>) root, "", tensors, skipped);
        for (Map.Entry<String, TensorRef> e : tensors.entrySet()) {
          if (!filter.wants(e.getKey(), e.getValue().size().clone())) {
            continue;
          }
          try (PointerScope s = new PointerScope();
              Tensor t = p.materialise(e.getValue())) {
            visitor.accept(e.getKey(), t);
          } finally {
            p.storages.clear(); // freed with the scope; a storage two tensors share is read twice
          }
        }
        return skipped;
      } finally {
        p.scope.close();
      }
    }
  }

  private static void refs(
      Map<?, ?> map, String prefix, Map<String, TensorRef> out, List<String> skipped) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = prefix + e.getKey();
      Object v = e.getValue();
      if (v instanceof TensorRef t) {
        out.put(name, t);
      } else if (v instanceof Map<?, ?> m) {
        refs(m, name + ".", out, skipped);
      } else {
        skipped.add(name);
      }
    }
  }

  private void flatten(Map<?, ?> map, String prefix, StateDict out, List<String> skipped)
      throws IOException {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = prefix + e.getKey();
      Object v = e.getValue();
      if (v instanceof TensorRef t) {
        out.put(name, materialise(t));
      } else if (v instanceof Map<?, ?> m) {
        flatten(m, name + ".", out, skipped);
      } else {
        skipped.add(name);
      }
    }
  }

  /** Builds a contiguous tensor from its storage, offset, sizes and strides; caller owns it. */
  private Tensor materialise(TensorRef t) throws IOException {
    Tensor storage = storage(t.storage());
    long needed = t.offset();
    for (int i = 0; i < t.size().length; i++) {
      if (t.size()[i] > 0) {
        needed += (t.size()[i] - 1) * t.stride()[i];
      }
    }
    if (Shapes.numel(t.size()) > 0 && needed >= t.storage().numel()) {
      throw new WeightsFormatException(
          path, "tensor view runs past its storage '" + t.storage().key() + "'");
    }
    try (PointerScope s = new PointerScope()) {
      return Scopes.keep(
          storage
              .as_strided(t.size(), t.stride(), new org.bytedeco.pytorch.LongOptional(t.offset()))
              .clone());
    }
  }

  private Tensor storage(StorageRef ref) throws IOException {
    Tensor t = storages.get(ref.key());
    if (t != null) {
      return t;
    }
    ZipEntry e = zip.getEntry(prefix + "data/" + ref.key());
    if (e == null) {
      throw new WeightsFormatException(
          path, "storage data/" + ref.key() + " is missing from the archive");
    }
    long expected = ref.numel() * ref.dtype().byteSize();
    if (e.getSize() >= 0 && e.getSize() < expected) {
      throw new WeightsFormatException(
          path,
          "storage data/" + ref.key() + " holds " + e.getSize() + " bytes, expected " + expected);
    }
    // straight into native memory, in chunks: a storage may be larger than a Java array
    t =
        torch.empty(
            new long[] {ref.numel()},
            new TensorOptions(ref.dtype().scalarType()),
            new MemoryFormatOptional()); // attached to this.scope
    try (InputStream in = zip.getInputStream(e)) {
      long got = copy(in, new BytePointer(t.data_ptr()).capacity(expected), expected, CHUNK);
      if (got < expected) {
        throw new WeightsFormatException(
            path, "storage data/" + ref.key() + " holds " + got + " bytes, expected " + expected);
      }
    }
    storages.put(ref.key(), t);
    return t;
  }

  /** Bytes copied per read from a storage entry. */
  static final int CHUNK = 16 << 20;

  /**
   * Copies up to {@code n} bytes of {@code in} to {@code dst}, {@code chunk} at a time.
   *
   * @return the bytes copied: {@code n}, or fewer when {@code in} ends first
   */
  static long copy(InputStream in, BytePointer dst, long n, int chunk) throws IOException {
    byte[] buf = new byte[(int) Math.min(chunk, Math.max(n, 1))];
    long done = 0;
    while (done < n) {
      int want = (int) Math.min(buf.length, n - done);
      int got = in.readNBytes(buf, 0, want);
      if (got <= 0) {
        break;
      }
      dst.position(done).put(buf, 0, got);
      done += got;
    }
    dst.position(0);
    return done;
  }

  // ---------------------------------------------------------------------------------------------
  // the pickle virtual machine, restricted to data

  private Object unpickle(ByteBuffer in) throws IOException {
    Deque<Object> stack = new ArrayDeque<>();
    Map<Long, Object> memo = new HashMap<>();
    List<Deque<Object>> marks = new ArrayList<>();
    while (true) {
      if (!in.hasRemaining()) {
        throw fault("pickle ends without STOP");
      }
      int op = in.get() & 0xff;
      switch (op) {
        case 0x80:
          in.get();
          break; // PROTO
        case 0x95:
          in.getLong();
          break; // FRAME
        case '.':
          return pop(stack); // STOP
        case '(':
          marks.add(new ArrayDeque<>(stack));
          stack.push(MARK);
          break;
        case '}':
          stack.push(new LinkedHashMap<Object, Object>());
          break; // EMPTY_DICT
        case ']':
          stack.push(new ArrayList<Object>());
          break; // EMPTY_LIST
        case ')':
          stack.push(List.of());
          break; // EMPTY_TUPLE
        case 0x8f:
          stack.push(new ArrayList<Object>());
          break; // EMPTY_SET
        case 'N':
          stack.push(None.NONE);
          break;
        case 0x88:
          stack.push(Boolean.TRUE);
          break;
        case 0x89:
          stack.push(Boolean.FALSE);
          break;
        case 'J':
          stack.push((long) in.getInt());
          break; // BININT
        case 'K':
          stack.push((long) (in.get() & 0xff));
          break; // BININT1
        case 'M':
          stack.push((long) (in.getShort() & 0xffff));
          break; // BININT2
        case 0x8a:
          stack.push(longN(in, in.get() & 0xff));
          break; // LONG1
        case 0x8b:
          stack.push(longN(in, in.getInt()));
          break; // LONG4
        case 'G':
          stack.push(in.order(ByteOrder.BIG_ENDIAN).getDouble());
          in.order(ByteOrder.LITTLE_ENDIAN);
          break;
        case 'X':
          stack.push(string(in, in.getInt()));
          break; // BINUNICODE
        case 0x8c:
          stack.push(string(in, in.get() & 0xff));
          break; // SHORT_BINUNICODE
        case 0x8d:
          stack.push(string(in, Math.toIntExact(in.getLong())));
          break; // BINUNICODE8
        case 'T':
          stack.push(string(in, in.getInt()));
          break; // BINSTRING
        case 'U':
          stack.push(string(in, in.get() & 0xff));
          break; // SHORT_BINSTRING
        case 'B':
          stack.push(bytes(in, in.getInt()));
          break; // BINBYTES
        case 'C':
          stack.push(bytes(in, in.get() & 0xff));
          break; // SHORT_BINBYTES
        case 'q':
          memo.put((long) (in.get() & 0xff), stack.peek());
          break; // BINPUT
        case 'r':
          memo.put(in.getInt() & 0xffffffffL, stack.peek());
          break; // LONG_BINPUT
        case 0x94:
          memo.put((long) memo.size(), stack.peek());
          break; // MEMOIZE
        case 'h':
          stack.push(memoGet(memo, in.get() & 0xff));
          break; // BINGET
        case 'j':
          stack.push(memoGet(memo, in.getInt() & 0xffffffffL));
          break; // LONG_BINGET
        case 't':
          stack.push(List.copyOf(popMark(stack, marks)));
          break; // TUPLE
        case 0x85:
          stack.push(List.of(pop(stack)));
          break; // TUPLE1
        case 0x86:
          {
            Object b = pop(stack);
            Object a = pop(stack);
            stack.push(List.of(a, b));
            break;
          }
        case 0x87:
          {
            Object c = pop(stack);
            Object b = pop(stack);
            Object a = pop(stack);
            stack.push(List.of(a, b, c));
            break;
          }
        case 'l':
          stack.push(new ArrayList<>(popMark(stack, marks)));
          break; // LIST
        case 'a':
          {
            Object v = pop(stack);
            list(stack.peek()).add(v);
            break;
          } // APPEND
        case 'e':
          {
            List<Object> items = popMark(stack, marks);
            list(stack.peek()).addAll(items);
            break;
          } // APPENDS
        case 0x90:
          {
            List<Object> items = popMark(stack, marks);
            list(stack.peek()).addAll(items);
            break;
          } // ADDITEMS
        case 'd':
          {
            List<Object> items = popMark(stack, marks);
            Map<Object, Object> m = new LinkedHashMap<>();
            putAll(m, items);
            stack.push(m);
            break;
          }
        case 's':
          {
            Object v = pop(stack);
            Object k = pop(stack);
            dict(stack.peek()).put(key(k), v);
            break;
          } // SETITEM
        case 'u':
          {
            List<Object> items = popMark(stack, marks);
            putAll(dict(stack.peek()), items);
            break;
          } // SETITEMS
        case 'c':
          {
            String module = line(in);
            String name = line(in);
            stack.push(new Global(module, name));
            break;
          } // GLOBAL
        case 0x93:
          {
            Object name = pop(stack);
            Object module = pop(stack);
            stack.push(new Global((String) module, (String) name));
            break;
          }
        case 'Q':
          stack.push(persistentLoad(pop(stack)));
          break; // BINPERSID
        case 'R':
          {
            Object args = pop(stack);
            Object fn = pop(stack);
            stack.push(call(fn, args));
            break;
          } // REDUCE
        case 0x81:
          {
            Object args = pop(stack);
            Object cls = pop(stack);
            stack.push(call(cls, args));
            break;
          } // NEWOBJ
        case 'b':
          {
            Object state = pop(stack);
            build(stack.peek(), state);
            break;
          } // BUILD
        case '0':
          pop(stack);
          break; // POP
        case '2':
          stack.push(stack.peek());
          break; // DUP
        default:
          throw fault(String.format("unsupported pickle opcode 0x%02x; %s", op, HOW_TO_CONVERT));
      }
    }
  }

  private static final String HOW_TO_CONVERT =
      "save a plain state dict in Python instead: torch.save({k: v for k, v in model.state_dict().items()}, 'weights.pt'), "
          + "or safetensors.torch.save_file(model.state_dict(), 'weights.safetensors')";

  private enum None {
    NONE
  }

  private Object call(Object fn, Object argsObj) throws IOException {
    if (!(fn instanceof Global g)) {
      throw fault("cannot call " + describe(fn));
    }
    List<?> args = argsObj instanceof List<?> l ? l : List.of();
    switch (g.qualified()) {
      case "collections.OrderedDict":
        return new LinkedHashMap<Object, Object>();
      case "torch._utils._rebuild_tensor_v2":
      case "torch._utils._rebuild_tensor":
        return rebuildTensor(args);
      case "torch._utils._rebuild_parameter":
      case "torch._utils._rebuild_parameter_with_state":
        return args.get(0);
      case "torch.device":
        return args.isEmpty() ? "cpu" : String.valueOf(args.get(0));
      case "builtins.set":
      case "__builtin__.set":
        return new ArrayList<Object>(args.isEmpty() ? List.of() : list(args.get(0)));
      default:
        throw fault(
            "the file pickles "
                + g.qualified()
                + ", which a state dict does not contain; "
                + HOW_TO_CONVERT);
    }
  }

  private TensorRef rebuildTensor(List<?> args) throws IOException {
    if (args.size() < 4 || !(args.get(0) instanceof StorageRef storage)) {
      throw fault("malformed tensor record");
    }
    long offset = (Long) args.get(1);
    long[] size = longs(args.get(2));
    long[] stride = longs(args.get(3));
    if (size.length != stride.length) {
      throw fault("tensor record has " + size.length + " sizes but " + stride.length + " strides");
    }
    return new TensorRef(storage, offset, size, stride);
  }

  private Object persistentLoad(Object pid) throws IOException {
    // ('storage', storage_type, key, location, numel)
    if (!(pid instanceof List<?> t) || t.size() < 5 || !"storage".equals(t.get(0))) {
      throw fault("unsupported persistent id " + describe(pid));
    }
    if (!(t.get(1) instanceof Global type)) {
      throw fault("storage type is " + describe(t.get(1)));
    }
    DType dtype = storageDType(type);
    return new StorageRef(String.valueOf(t.get(2)), dtype, (Long) t.get(4));
  }

  private DType storageDType(Global type) throws IOException {
    switch (type.name()) {
      case "DoubleStorage":
        return DType.F64;
      case "FloatStorage":
        return DType.F32;
      case "HalfStorage":
        return DType.F16;
      case "BFloat16Storage":
        return DType.BF16;
      case "LongStorage":
        return DType.I64;
      case "IntStorage":
        return DType.I32;
      case "ShortStorage":
        return DType.I16;
      case "CharStorage":
        return DType.I8;
      case "ByteStorage":
        return DType.U8;
      case "BoolStorage":
        return DType.BOOL;
      default:
        throw fault("unsupported storage type " + type.qualified());
    }
  }

  @SuppressWarnings("unchecked")
  private void build(Object target, Object state) throws IOException {
    // OrderedDict state (e.g. state_dict()._metadata) and parameter state carry nothing we need
    if (!(target instanceof Map) && !(target instanceof TensorRef)) {
      throw fault("cannot restore state of " + describe(target) + "; " + HOW_TO_CONVERT);
    }
  }

  private static Object key(Object k) {
    return k instanceof Long || k instanceof String ? k : String.valueOf(k);
  }

  private static void putAll(Map<Object, Object> m, List<Object> items) {
    for (int i = 0; i + 1 < items.size(); i += 2) {
      m.put(key(items.get(i)), items.get(i + 1));
    }
  }

  @SuppressWarnings("unchecked")
  private List<Object> list(Object o) throws IOException {
    if (o instanceof ArrayList<?>) {
      return (List<Object>) o;
    }
    throw fault("expected a list, found " + describe(o));
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dict(Object o) throws IOException {
    if (o instanceof Map<?, ?>) {
      return (Map<Object, Object>) o;
    }
    throw fault("expected a dict, found " + describe(o));
  }

  private long[] longs(Object o) throws IOException {
    if (!(o instanceof List<?> l)) {
      throw fault("expected a tuple of ints, found " + describe(o));
    }
    long[] r = new long[l.size()];
    for (int i = 0; i < r.length; i++) {
      if (!(l.get(i) instanceof Long v)) {
        throw fault("expected a tuple of ints, found " + describe(l.get(i)));
      }
      r[i] = v;
    }
    return r;
  }

  private Object pop(Deque<Object> stack) throws IOException {
    if (stack.isEmpty()) {
      throw fault("pickle stack underflow");
    }
    return stack.pop();
  }

  private List<Object> popMark(Deque<Object> stack, List<Deque<Object>> marks) throws IOException {
    List<Object> items = new ArrayList<>();
    while (true) {
      Object o = pop(stack);
      if (o == MARK) {
        break;
      }
      items.add(0, o);
    }
    if (!marks.isEmpty()) {
      marks.remove(marks.size() - 1);
    }
    return items;
  }

  private Object memoGet(Map<Long, Object> memo, long i) throws IOException {
    if (!memo.containsKey(i)) {
      throw fault("pickle memo has no entry " + i);
    }
    return memo.get(i);
  }

  private static long longN(ByteBuffer in, int n) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      long b = in.get() & 0xffL;
      if (i < 8) {
        v |= b << (8 * i);
      }
    }
    if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
      v |= -1L << (8 * n); // sign-extend
    }
    return v;
  }

  private static String string(ByteBuffer in, int n) {
    byte[] b = new byte[n];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer in, int n) {
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }

  private static String line(ByteBuffer in) {
    StringBuilder b = new StringBuilder();
    while (in.hasRemaining()) {
      char c = (char) (in.get() & 0xff);
      if (c == '\n') {
        break;
      }
      b.append(c);
    }
    return b.toString();
  }

  private static String describe(Object o) {
    if (o instanceof Global g) {
      return "Python object " + g.qualified();
    }
    return o == null ? "nothing" : o.getClass().getSimpleName();
  }

  private WeightsFormatException fault(String what) {
    return new WeightsFormatException(path, what);
  }
}
