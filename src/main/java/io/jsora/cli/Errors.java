package io.jsora.cli;

/** Turns exceptions into one readable line for users. */
final class Errors {
  private Errors() {}

  static String describe(Throwable e) {
    Throwable t = e;
    // unwrap wrappers that add nothing
    while ((t instanceof java.util.concurrent.ExecutionException
            || t instanceof java.io.UncheckedIOException
            || t.getClass() == RuntimeException.class
                && t.getCause() != null
                && t.getMessage() != null
                && t.getMessage().equals(t.getCause().toString()))
        && t.getCause() != null) {
      t = t.getCause();
    }
    String msg = t.getMessage();
    if (msg == null || msg.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // libtorch errors carry a C++ backtrace after the first lines
    int trace = msg.indexOf("\nException raised from");
    if (trace >= 0) {
      msg = msg.substring(0, trace);
    }
    if (t instanceof java.nio.file.NoSuchFileException) {
      return "no such file: " + msg;
    }
    if (t instanceof java.nio.file.AccessDeniedException) {
      return "permission denied: " + msg;
    }
    return msg.strip();
  }
}
