package io.jsora.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * Everything besides tensors that a resumed run needs, stored as {@code state.json}.
 *
 * @param step optimizer steps completed (the next update is number {@code step})
 * @param epoch passes over the data completed
 * @param samplesSeen training samples consumed so far, over all ranks
 * @param seed the run's seed (per-sample randomness is keyed by it, the step and the sample)
 * @param scheduler the learning-rate schedule ({@link LrSchedule#toMap})
 * @param data the data sampler's position; null before the first step
 * @param rng generator states by name ({@link RngStates}); usually empty
 * @param nanSkipped steps skipped by the NaN guard so far
 * @param nanConsecutive bad steps in a row at the time of saving
 * @param extra anything else the trainer wants back (e.g. the loss EMA shown in the progress bar)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainState(
    @JsonProperty("step") long step,
    @JsonProperty("epoch") long epoch,
    @JsonProperty("samples_seen") long samplesSeen,
    @JsonProperty("seed") long seed,
    @JsonProperty("scheduler") Map<String, Object> scheduler,
    @JsonProperty("data") SamplerPosition data,
    @JsonProperty("rng") Map<String, String> rng,
    @JsonProperty("nan_skipped") long nanSkipped,
    @JsonProperty("nan_consecutive") int nanConsecutive,
    @JsonProperty("extra") Map<String, Object> extra) {
  public TrainState {
    if (step < 0 || epoch < 0 || samplesSeen < 0) {
      throw new IllegalArgumentException(
          "train state: step, epoch and samples seen must be >= 0, got "
              + step
              + ", "
              + epoch
              + ", "
              + samplesSeen);
    }
    scheduler = scheduler == null ? Map.of() : Map.copyOf(scheduler);
    rng = rng == null ? Map.of() : Map.copyOf(rng);
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  /** The state at the start of a fresh run. */
  public static TrainState fresh(long seed, LrSchedule schedule) {
    return new TrainState(0, 0, 0, seed, schedule.toMap(), null, Map.of(), 0, 0, Map.of());
  }

  public TrainState withStep(long s, long e, long samples) {
    return new TrainState(
        s, e, samples, seed, scheduler, data, rng, nanSkipped, nanConsecutive, extra);
  }

  public TrainState withData(SamplerPosition d) {
    return new TrainState(
        step, epoch, samplesSeen, seed, scheduler, d, rng, nanSkipped, nanConsecutive, extra);
  }

  public TrainState withNan(NanGuard guard) {
    return new TrainState(
        step,
        epoch,
        samplesSeen,
        seed,
        scheduler,
        data,
        rng,
        guard.skipped(),
        guard.consecutive(),
        extra);
  }

  public TrainState withRng(Map<String, String> r) {
    return new TrainState(
        step, epoch, samplesSeen, seed, scheduler, data, r, nanSkipped, nanConsecutive, extra);
  }

  public TrainState withExtra(Map<String, Object> x) {
    return new TrainState(
        step, epoch, samplesSeen, seed, scheduler, data, rng, nanSkipped, nanConsecutive, x);
  }

  /** The schedule recorded here. */
  public LrSchedule schedule() {
    return LrSchedule.fromMap(scheduler);
  }
}
