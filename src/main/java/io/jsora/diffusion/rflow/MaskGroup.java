package io.jsora.diffusion.rflow;

/**
 * One group of an inference mask strategy, {@code loop_id,ref_id,ref_start,target_start,length,
 * edit_ratio}: in loop {@code loopId}, copy {@code length} latent frames of reference {@code refId}
 * from {@code refStart} into z at {@code targetStart}, and give them the edit ratio. All positions
 * are LATENT frames; a negative start counts from the end (−1 = last frame).
 *
 * @param loopId the loop (long-video clip) the group applies to, 0 for a single clip
 * @param refId index into the sample's references (in the order given, then the clips appended by
 *     earlier loops)
 * @param refStart first reference latent frame; negative counts from the reference's end
 * @param targetStart first latent frame of z; negative counts from z's end
 * @param length frames to copy (clipped to what both tensors hold)
 * @param editRatio 0 = keep the frames exactly, 1 = regenerate them; in between they are kept until
 *     the schedule reaches {@code t = N·editRatio}
 */
public record MaskGroup(
    int loopId, int refId, int refStart, int targetStart, int length, double editRatio) {
  /** Upstream's field names, in order, for messages. */
  public static final String[] FIELDS = {
    "loop_id", "ref_id", "ref_start", "target_start", "length", "edit_ratio"
  };

  public MaskGroup {
    if (loopId < 0) {
      throw new IllegalArgumentException("mask group: loop_id must be >= 0, got " + loopId);
    }
    if (refId < 0) {
      throw new IllegalArgumentException("mask group: ref_id must be >= 0, got " + refId);
    }
    if (length < 1) {
      throw new IllegalArgumentException("mask group: length must be >= 1, got " + length);
    }
    if (!(editRatio >= 0 && editRatio <= 1)) {
      throw new IllegalArgumentException(
          "mask group: edit_ratio must be in [0, 1], got " + editRatio);
    }
  }

  /** The group in upstream syntax, all six fields. */
  @Override
  public String toString() {
    return loopId
        + ","
        + refId
        + ","
        + refStart
        + ","
        + targetStart
        + ","
        + length
        + ","
        + editRatio;
  }
}
