package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.TorchCheckpointTestAccess;
import io.jsora.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsCommandTest {
  @TempDir Path dir;

  @Test
  void convertOfTorchSaveGivesTheSameTensors() throws Exception {
    Path out = dir.resolve("w.safetensors");
    Cli r =
        Cli.run(
            "weights",
            "convert",
            TorchCheckpointTestAccess.fixture("state_dict_ordered.pt").toString(),
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("10 tensors"), r.out());
    try (StateDict sd = SafetensorsFile.read(out)) {
      TorchCheckpointTestAccess.assertMatchesExpected(sd, "", null);
    }
  }

  @Test
  void convertCastsFloatsAndKeepsIntegers() throws Exception {
    Path out = dir.resolve("bf16.safetensors");
    Cli r =
        Cli.run(
            "weights",
            "convert",
            TorchCheckpointTestAccess.fixture("nested.pt").toString(),
            out.toString(),
            "--dtype",
            "bf16");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("skipped non-tensor entries: step"), r.out());
    try (StateDict sd = SafetensorsFile.read(out)) {
      TorchCheckpointTestAccess.assertMatchesExpected(sd, "model.", DType.BF16);
    }
  }

  @Test
  void inspectListsTensorsTotalsAndMetadata() throws Exception {
    Path out = dir.resolve("w.safetensors");
    assertEquals(
        0,
        Cli.run(
                "weights",
                "convert",
                TorchCheckpointTestAccess.fixture("state_dict_plain.pt").toString(),
                out.toString())
            .code());
    Cli r = Cli.run("weights", "inspect", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("(safetensors, 10 tensors)"), r.out());
    assertTrue(r.out().matches("(?s).*transposed\\s+F32\\s+\\[3, 4\\].*"), r.out());
    assertTrue(r.out().matches("(?s).*steps\\s+I64\\s+\\[5\\].*"), r.out());
    // 6 + 3 + 5 + 4 + 3 + 12 + 3 + 6 + 3 + 1 elements
    assertTrue(r.out().contains("parameters: 46"), r.out());
    assertTrue(r.out().contains("metadata: format = pt"), r.out());
    Cli t =
        Cli.run("weights", "inspect", TorchCheckpointTestAccess.fixture("nested.pt").toString());
    assertEquals(0, t.code(), t.err());
    assertTrue(
        t.out().contains("(torch.save, 10 tensors)")
            && t.out().contains("non-tensor entries (not weights): step"),
        t.out());
  }

  @Test
  void badFileIsOneClearError() throws Exception {
    Path bad = dir.resolve("bad.safetensors");
    Files.write(bad, new byte[0]);
    Cli r = Cli.run("weights", "inspect", bad.toString());
    assertEquals(1, r.code());
    assertTrue(
        r.err().contains("jsora weights inspect: error: " + bad + ": file is empty (0 bytes)"),
        r.err());
    assertTrue(r.err().lines().count() == 1, "one line: " + r.err());
  }
}
