package io.jsora.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.config.Settings;
import io.jsora.config.SettingsException;
import io.jsora.diffusion.DiffusionConfig;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.stdit3.STDiT3Config;
import java.util.Iterator;
import java.util.List;

/**
 * A run's configuration, as its checkpoints record it in {@code config.json}: everything sampling
 * needs to rebuild the models (model, diffusion process, compressor, text encoder, what the model
 * saw of the text, the data's size and rate) and the training settings that made it.
 *
 * <pre>{@code
 * {
 *   "model_family": "dit",            // or "stdit3"; absent in checkpoints from before families: dit
 *   "model": { ...DiTConfig... },     // or { ...STDiT3Config... } in upstream's names
 *   "process": "iddpm",               // absent in checkpoints from before processes: iddpm
 *   "diffusion": { "noise_schedule": "linear", "num_timesteps": 1000, "prediction": "eps", "variance": "learned-range" },
 *   "compressor": { "name": "raw", "dir": null },
 *   "text_encoder": "builtin:text_encoder",
 *   "text_input": "states",
 *   "data": { "frames": 16, "height": 64, "width": 64, "fps": 8.0 },
 *   "train": { ...TrainConfig... }    // absent for imported models
 * }
 * }</pre>
 *
 * A second model family or diffusion process is a new {@link ModelFamily} / {@link
 * DiffusionProcess} constant with its {@link ModelSpec} / {@link ProcessSpec} record; {@link
 * #fromJson} binds {@code model} and {@code diffusion} by that name.
 *
 * @param model the model family and its config
 * @param process the diffusion process and its config
 * @param compressor what the model diffuses in
 * @param textEncoder the text encoder's spec ({@code builtin:DIR} relative to the checkpoint, a
 *     model directory or a Hugging Face id)
 * @param textInput token states or the pooled vector
 * @param data the training videos' size and rate (for sampling defaults)
 * @param train the training settings; null when unknown
 */
public record RunConfig(
    ModelSpec model,
    ProcessSpec process,
    CompressorRef compressor,
    String textEncoder,
    TextInput textInput,
    DataInfo data,
    TrainConfig train) {
  private static final List<String> KEYS =
      List.of(
          "model_family",
          "model",
          "process",
          "diffusion",
          "compressor",
          "text_encoder",
          "text_input",
          "data",
          "train");

  public RunConfig {
    if (model == null || process == null) {
      throw new IllegalArgumentException("a run config needs a model and a diffusion process");
    }
    compressor = compressor == null ? new CompressorRef(null, null) : compressor;
    textInput = textInput == null ? TextInput.STATES : textInput;
    data = data == null ? DataInfo.UNKNOWN : data;
  }

  /** The DiT config; fails naming the family when the run is of another family. */
  public DiTConfig dit() {
    if (model instanceof ModelSpec.Dit d) {
      return d.config();
    }
    throw new IllegalStateException("the run's model is " + model.family() + ", not a DiT");
  }

  /** The STDiT3 config; fails naming the family when the run is of another family. */
  public STDiT3Config stdit3() {
    if (model instanceof ModelSpec.Stdit3 d) {
      return d.config();
    }
    throw new IllegalStateException("the run's model is " + model.family() + ", not an STDiT3");
  }

  /** The IDDPM config; fails naming the process when the run uses another. */
  public DiffusionConfig iddpm() {
    if (process instanceof ProcessSpec.Iddpm p) {
      return p.config();
    }
    throw new IllegalStateException(
        "the run's diffusion process is " + process.process() + ", not IDDPM");
  }

  /** The rectified-flow config; fails naming the process when the run uses another. */
  public RFlowConfig rflow() {
    if (process instanceof ProcessSpec.RFlow p) {
      return p.config();
    }
    throw new IllegalStateException(
        "the run's diffusion process is " + process.process() + ", not rectified flow");
  }

  /** The {@code config.json} tree. */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_family", model.family().id());
    o.set("model", Settings.JSON.valueToTree(model.config()));
    o.put("process", process.process().id());
    o.set("diffusion", Settings.JSON.valueToTree(process.config()));
    o.set("compressor", Settings.JSON.valueToTree(compressor));
    o.put("text_encoder", textEncoder);
    o.put("text_input", textInput.id());
    o.set("data", Settings.JSON.valueToTree(data));
    if (train != null) {
      o.set("train", Settings.JSON.valueToTree(train));
    }
    return o;
  }

  /**
   * Binds a {@code config.json} tree, of this format or of the format written before model families
   * and processes were named.
   *
   * @param source the file, for messages
   * @throws SettingsException naming the source and the key at fault
   */
  public static RunConfig fromJson(JsonNode tree, String source) {
    if (tree == null || !tree.isObject()) {
      throw new SettingsException(source, "", "expected a JSON object of run settings", null);
    }
    for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new SettingsException(
            source, k, "unknown key '" + k + "' (known: " + String.join(", ", KEYS) + ")", null);
      }
    }
    ModelFamily family =
        tree.hasNonNull("model_family")
            ? Settings.bind(tree.get("model_family"), ModelFamily.class, source, "model_family")
            : ModelFamily.DIT;
    JsonNode m = tree.path("model");
    if (!m.isObject()) {
      throw new SettingsException(
          source, "model", "no \"model\" object; not a jsora run checkpoint", null);
    }
    ModelSpec model =
        switch (family) {
          case DIT -> new ModelSpec.Dit(DiTConfig.fromJson(m.toString(), source + " (model)"));
          case STDIT3 ->
              new ModelSpec.Stdit3(STDiT3Config.fromJson(m.toString(), source + " (model)"));
        };
    DiffusionProcess process =
        tree.hasNonNull("process")
            ? Settings.bind(tree.get("process"), DiffusionProcess.class, source, "process")
            : DiffusionProcess.IDDPM;
    JsonNode d = tree.path("diffusion");
    ProcessSpec spec =
        switch (process) {
          case IDDPM ->
              new ProcessSpec.Iddpm(
                  d.isObject()
                      ? Settings.bind(d, DiffusionConfig.class, source, "diffusion")
                      : DiffusionConfig.defaults());
          case RFLOW ->
              new ProcessSpec.RFlow(
                  d.isObject()
                      ? Settings.bind(d, RFlowConfig.class, source, "diffusion")
                      : RFlowConfig.classDefaults());
        };
    CompressorRef compressor =
        tree.has("compressor")
            ? Settings.bind(tree.get("compressor"), CompressorRef.class, source, "compressor")
            : null;
    String textEncoder = tree.hasNonNull("text_encoder") ? tree.get("text_encoder").asText() : null;
    TextInput textInput =
        tree.hasNonNull("text_input")
            ? Settings.bind(tree.get("text_input"), TextInput.class, source, "text_input")
            : null;
    DataInfo data =
        tree.has("data") ? Settings.bind(tree.get("data"), DataInfo.class, source, "data") : null;
    TrainConfig train = null;
    if (tree.hasNonNull("train")) {
      JsonNode given = tree.get("train");
      if (!given.isObject()) {
        throw new SettingsException(
            source, "train", "expected an object of training settings", null);
      }
      // settings added after the checkpoint was written take their defaults
      ObjectNode laid = Settings.JSON.valueToTree(TrainConfig.defaults());
      laid.setAll((ObjectNode) given);
      train = Settings.bind(laid, TrainConfig.class, source, "train");
    }
    return new RunConfig(model, spec, compressor, textEncoder, textInput, data, train);
  }
}
