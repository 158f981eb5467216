package io.jsora.pipeline;

/**
 * What {@link Os12Pipeline#generate} reports while it runs: each stage begins (with a sentence on
 * what it loads and in which dtype), advances in units (prompts, steps, clips) and ends. The
 * command line draws a bar per stage; the benchmark times the stages and reads peak memory.
 */
public interface Os12Listener {
  /** The stages, in the order a run enters them (encode, denoise and decode once per clip). */
  enum Stage {
    /** T5: prompts to caption states (the encoder is freed at the end). */
    TEXT,
    /** VAE encode: the reference videos and, before clip k ≥ 1, the previous clip. */
    ENCODE,
    /** STDiT3 + rectified flow: the denoising steps of one clip. */
    DENOISE,
    /** VAE decode of one clip's latent. */
    DECODE
  }

  /**
   * A stage starts.
   *
   * @param what a sentence for the user, e.g. the component, its dtype and the clip
   * @param units how many {@link #step} calls will follow
   */
  void begin(Stage stage, String what, long units);

  /** One unit of the current stage is done. */
  void step(Stage stage);

  /** The current stage is done (its component may have been freed). */
  void end(Stage stage);

  /** Reports nothing. */
  Os12Listener NONE =
      new Os12Listener() {
        @Override
        public void begin(Stage stage, String what, long units) {}

        @Override
        public void step(Stage stage) {}

        @Override
        public void end(Stage stage) {}
      };
}
