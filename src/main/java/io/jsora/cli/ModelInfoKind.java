package io.jsora.cli;

import java.io.IOException;
import java.io.PrintWriter;

/** One model family described by {@code jsora model info --model NAME}. */
interface ModelInfoKind {
  /** Whether this kind describes {@code model} (a preset name or kind name). */
  boolean accepts(String model);

  /** Prints parameter count, shapes, tokens and FLOPs as meaningful for the kind. */
  void print(ModelCommand.Info request, PrintWriter out) throws IOException;
}
