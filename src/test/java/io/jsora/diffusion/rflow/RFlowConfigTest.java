package io.jsora.diffusion.rflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RFlowConfigTest {
  @Test
  void absentKeysAreUpstreamsClassDefaults() {
    assertEquals(RFlowConfig.classDefaults(), RFlowConfig.fromJson("{}", "test"));
    RFlowConfig d = RFlowConfig.classDefaults();
    assertEquals(10, d.numSamplingSteps());
    assertEquals(4.0, d.cfgScale());
    assertFalse(d.useTimestepTransform());
    assertEquals(SampleMethod.UNIFORM, d.sampleMethod());
  }

  @Test
  void inferenceConfigOfOpenSora12ReadsAsTheFactory() {
    // configs/opensora-v1-2/inference/sample.py, scheduler dict without its registry "type"
    String json =
        "{\"use_timestep_transform\": true, \"num_sampling_steps\": 30, \"cfg_scale\": 7.0}";
    assertEquals(RFlowConfig.inference12(), RFlowConfig.fromJson(json, "sample.py"));
    String train = "{\"use_timestep_transform\": true, \"sample_method\": \"logit-normal\"}";
    assertEquals(RFlowConfig.training12(), RFlowConfig.fromJson(train, "stage1.py"));
  }

  @Test
  void roundTripsThroughJsonWithUpstreamNames() {
    RFlowConfig c =
        new RFlowConfig(25, 1000, 5.5, false, true, 1.5, SampleMethod.LOGIT_NORMAL, 0.2, 0.9);
    String json = c.toJson();
    assertTrue(
        json.contains("\"num_sampling_steps\" : 25")
            && json.contains("\"sample_method\" : \"logit-normal\"")
            && json.contains("\"transform_scale\" : 1.5"),
        json);
    assertEquals(c, RFlowConfig.fromJson(json, "test"));
  }

  @Test
  void badValuesAndUnknownKeysNameTheField() {
    assertMessage("{\"num_sampling_steps\": 0}", "num_sampling_steps must be >= 1, got 0");
    assertMessage(
        "{\"sample_method\": \"normal\"}", "'normal' is not one of uniform, logit-normal");
    assertMessage("{\"cfg_scale\": 7.0, \"guidance\": 3}", "guidance");
    assertMessage(
        "{\"use_discrete_timesteps\": true, \"sample_method\": \"logit-normal\"}",
        "use_discrete_timesteps needs sample_method uniform");
    assertMessage("{\"scale\": 0}", "scale must be > 0, got 0.0");
  }

  private static void assertMessage(String json, String part) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RFlowConfig.fromJson(json, "cfg.json"));
    assertTrue(
        e.getMessage().startsWith("cfg.json: ") && e.getMessage().contains(part), e.getMessage());
  }
}
