package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {
  @Test
  void workersShareTheNativeMemoryLimit() {
    List<String> cmd =
        List.of(
            "java", "-Xmx4g", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=12g", "-cp", "x", "Main");
    assertEquals(
        List.of(
            "java",
            "-Xmx4g",
            "-Dorg.bytedeco.javacpp.maxPhysicalBytes=" + (3L << 30),
            "-cp",
            "x",
            "Main"),
        Launcher.shareNativeLimit(cmd, 4));
    assertEquals(
        List.of("java", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=500"),
        Launcher.shareNativeLimit(
            List.of("java", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=1000"), 2));
    assertEquals(cmd, Launcher.shareNativeLimit(cmd, 1));
  }
}
