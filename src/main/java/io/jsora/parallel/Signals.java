package io.jsora.parallel;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * POSIX signals for the launcher: catching SIGINT/SIGTERM (through {@code sun.misc.Signal}, read
 * reflectively so the build stays free of internal-API warnings) and sending them to children.
 */
final class Signals {
  private Signals() {}

  /** Undoes {@link #install}, and says which signals could not be caught. */
  interface Handle {
    void restore();

    /**
     * Signals (INT, TERM) this process was started ignoring, e.g. SIGINT in a shell's background
     * job: the JVM keeps an ignored SIGINT/SIGTERM ignored and never calls a handler for it.
     */
    List<String> ignored();
  }

  /**
   * Replaces the JVM's handling of SIGINT and SIGTERM by {@code onSignal(number)} until {@link
   * Handle#restore}. Where signals cannot be caught (no {@code sun.misc.Signal}, or {@code -Xrs}),
   * nothing is installed and the JVM's default (shutdown hooks) applies; a signal the process was
   * started ignoring stays ignored (the JVM refuses to handle it) and is listed in {@link
   * Handle#ignored}.
   */
  static Handle install(IntConsumer onSignal) {
    List<Runnable> undo = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Method handle = signal.getMethod("handle", signal, handlerType);
      Method number = signal.getMethod("getNumber");
      InvocationHandler ih =
          (proxy, m, a) ->
              switch (m.getName()) {
                case "handle" -> {
                  onSignal.accept((Integer) number.invoke(a[0]));
                  yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == a[0];
                default -> "jsora-launch-signal-handler";
              };
      Object handler =
          Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerType}, ih);
      Object sigIgn = handlerType.getField("SIG_IGN").get(null);
      for (String name : new String[] {"INT", "TERM"}) {
        try {
          Object s = signal.getConstructor(String.class).newInstance(name);
          Object old = handle.invoke(null, s, handler);
          if (old == sigIgn) { // the JVM left the signal ignored instead of installing the handler
            ignored.add(name);
          }
          undo.add(
              () -> {
                try {
                  handle.invoke(null, s, old);
                } catch (ReflectiveOperationException e) {
                  // leave ours installed; it only records the signal
                }
              });
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
          // this signal is reserved by the JVM here: the default applies
        }
      }
    } catch (ReflectiveOperationException | LinkageError e) {
      // no sun.misc.Signal: the JVM's default handling applies
    }
    List<String> notCaught = List.copyOf(ignored);
    return new Handle() {
      @Override
      public void restore() {
        undo.forEach(Runnable::run);
      }

      @Override
      public List<String> ignored() {
        return notCaught;
      }
    };
  }

  /**
   * Sends SIG{@code name} (INT, TERM) to {@code p}; SIGTERM when {@code kill} is unavailable. Never
   * {@code Process.destroy()}: it also closes the pipes, losing what the process prints while it
   * shuts down.
   */
  static void send(Process p, String name) {
    if (name.equals("TERM")) {
      p.toHandle().destroy();
      return;
    }
    try {
      Process k =
          new ProcessBuilder("kill", "-s", name, Long.toString(p.pid()))
              .redirectErrorStream(true)
              .start();
      if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
        p.toHandle().destroy();
      }
    } catch (IOException e) {
      p.toHandle().destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.toHandle().destroy();
    }
  }

  /** The usual name of a Linux signal number, e.g. 15 → TERM. */
  static String name(int signo) {
    return switch (signo) {
      case 1 -> "HUP";
      case 2 -> "INT";
      case 3 -> "QUIT";
      case 6 -> "ABRT";
      case 9 -> "KILL";
      case 11 -> "SEGV";
      case 15 -> "TERM";
      default -> Integer.toString(signo);
    };
  }
}
