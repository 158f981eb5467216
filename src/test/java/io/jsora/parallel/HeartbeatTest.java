package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.parallel.PeerMonitor.Heartbeat;
import io.jsora.parallel.PeerMonitor.Identity;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The store encoding of what ranks publish about themselves, read back field by field. */
class HeartbeatTest {
  @Test
  void heartbeatReadsBackWhatWasPublished() {
    Map<String, Long> entered = new LinkedHashMap<>();
    entered.put("world", 12L);
    entered.put("sp0", 3L);
    Heartbeat h = new Heartbeat(7, "fail", entered, "all_reduce on group world failed | twice");
    assertEquals("7|fail|world:12,sp0:3|all_reduce on group world failed | twice", h.encode());
    Heartbeat back = Heartbeat.parse(h.encode());
    assertEquals(h, back);
    assertEquals(12L, back.entered("world"));
    assertEquals(0L, back.entered("dp1"));
  }

  @Test
  void aMissingHeartbeatIsARunningRankThatEnteredNothing() {
    assertEquals(new Heartbeat(0, "run", Map.of(), ""), Heartbeat.parse(null));
    assertEquals(new Heartbeat(3, "run", Map.of(), ""), Heartbeat.parse("3|run||"));
  }

  @Test
  void identityKeepsHostAndPid() {
    Identity id = new Identity("node-1", 4242);
    assertEquals(id, Identity.parse(id.encode()));
  }
}
