package io.jsora.data;

import io.jsora.model.text.TextEmbeddings;
import io.jsora.model.text.TextEncoder;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small deterministic text encoder for tests: tokens are [BOS] + words + [EOS]; the state of
 * token {@code l} at channel {@code d} is {@code (code(token) + 0.01 l) (d + 1) / D}; pooled is the
 * EOS state. {@link #expected} computes the same numbers independently of the tensor path.
 */
public final class FakeTextEncoder implements TextEncoder {
  public static final int D = 8;
  public static final int MAX = 16;
  private final AtomicInteger calls = new AtomicInteger();
  private final int failOnCall;
  private final long sleepMs;

  /**
   * @param failOnCall throw on this (1-based) call of encode; 0 = never
   */
  public FakeTextEncoder(int failOnCall, long sleepMs) {
    this.failOnCall = failOnCall;
    this.sleepMs = sleepMs;
  }

  public FakeTextEncoder() {
    this(0, 0);
  }

  public int calls() {
    return calls.get();
  }

  static List<String> tokens(String caption) {
    List<String> t = new ArrayList<>();
    t.add("<bos>");
    for (String w : caption.trim().split("\\s+")) {
      if (!w.isEmpty() && t.size() < MAX - 1) {
        t.add(w);
      }
    }
    t.add("<eos>");
    return t;
  }

  private static float code(String token) {
    return Math.floorMod(token.hashCode(), 1000) / 1000f;
  }

  /** The unpadded states {@code [S][D]} of one caption. */
  public static float[][] expected(String caption) {
    List<String> t = tokens(caption);
    float[][] out = new float[t.size()][D];
    for (int l = 0; l < t.size(); l++) {
      for (int d = 0; d < D; d++) {
        out[l][d] = (code(t.get(l)) + 0.01f * l) * (d + 1) / D;
      }
    }
    return out;
  }

  @Override
  public TextEmbeddings encode(List<String> captions) {
    int call = calls.incrementAndGet();
    if (call == failOnCall) {
      throw new IllegalStateException("injected failure on encode call " + call);
    }
    if (sleepMs > 0) {
      try {
        Thread.sleep(sleepMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int b = captions.size();
    int longest = 0;
    for (String c : captions) {
      longest = Math.max(longest, tokens(c).size());
    }
    float[] hidden = new float[b * longest * D];
    long[] mask = new long[b * longest];
    float[] pooled = new float[b * D];
    for (int i = 0; i < b; i++) {
      float[][] e = expected(captions.get(i));
      for (int l = 0; l < e.length; l++) {
        System.arraycopy(e[l], 0, hidden, (i * longest + l) * D, D);
        mask[i * longest + l] = 1;
      }
      // padding states are non-zero on purpose: they must not reach the dataset
      for (int l = e.length; l < longest; l++) {
        java.util.Arrays.fill(hidden, (i * longest + l) * D, (i * longest + l + 1) * D, 99f);
      }
      System.arraycopy(e[e.length - 1], 0, pooled, i * D, D);
    }
    return new TextEmbeddings(
        Tensors.of(hidden, b, longest, D), Tensors.of(mask, b, longest), Tensors.of(pooled, b, D));
  }

  @Override
  public int hiddenSize() {
    return D;
  }

  @Override
  public int maxLength() {
    return MAX;
  }

  @Override
  public String id() {
    return "test:fake-text";
  }

  @Override
  public void close() {}
}
