package io.jsora.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.checkpoint.HfConfig;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The built-in offline text encoder: a tiny CLIP-architecture text model with seeded weights and a
 * word-level vocabulary made from the captions it will encode. {@link #create} writes it as a
 * Hugging Face model directory ({@code config.json}, {@code tokenizer.json}, {@code
 * model.safetensors}), so {@link TextEncoders#load} reads it with the same code as a real CLIP (and
 * the upstream Python libraries can load it too).
 *
 * <p>Architecture ({@link #config}): width 64, 2 layers, 4 heads, MLP 256, 32 positions (30 words
 * plus the two special tokens), quick-GELU. Tokenizer: NFC then lowercase; words are runs of
 * letters/digits/underscore or runs of other non-space characters; {@code <|startoftext|>} and
 * {@code <|endoftext|>} around every caption; unknown words become {@code <|unk|>}; padding with
 * {@code <|pad|>}. Ids: 0 pad, 1 unknown, 2 start, 3 end, then the words by decreasing count (ties
 * in code-point order). The end-of-text id is not 2, so pooling takes the first end-of-text token.
 *
 * <p>The weights are untrained: drawn as upstream initialises a CLIP text model (normal 0.02 for
 * the embeddings, depth-scaled normals for the projections, zero biases, unit LayerNorms) from a
 * generator seeded with {@code seed}. The encoder is a fixed, deterministic map from captions to
 * distinct features, which is what a diffusion model needs to learn caption conditioning offline.
 * The same caption multiset and seed give byte-identical files.
 */
public final class BuiltinTextEncoder {
  private BuiltinTextEncoder() {}

  /**
   * The vocabulary holds at most this many words (the most frequent); rarer words map to unknown.
   */
  public static final int MAX_WORDS = 16_384;

  public static final String PAD = "<|pad|>";
  public static final String UNK = "<|unk|>";
  public static final String BOS = "<|startoftext|>";
  public static final String EOS = "<|endoftext|>";
  static final int PAD_ID = 0;
  static final int UNK_ID = 1;
  static final int BOS_ID = 2;
  static final int EOS_ID = 3;

  /** The key in {@code config.json} that marks a directory written by this class. */
  public static final String MARKER = "jsora_builtin";

  /** The tokenizer's word split, as its {@code Whitespace} pre-tokenizer: {@code \w+|[^\w\s]+}. */
  static final Pattern WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

  /** The text model's shape for a vocabulary of {@code vocabSize} ids. */
  public static ClipTextConfig config(int vocabSize) {
    return new ClipTextConfig(
        vocabSize, 64, 256, 64, 2, 4, 32, "quick_gelu", 1e-5, 0.0, PAD_ID, BOS_ID, EOS_ID);
  }

  /**
   * Writes the encoder for {@code captions} into {@code dir} (created if needed; the three files
   * are replaced atomically) and returns {@code dir}. Load it with {@code
   * TextEncoders.load(dir.toString(), device)}.
   */
  public static Path create(Path dir, Collection<String> captions, long seed) throws IOException {
    List<String> words = vocabulary(captions, MAX_WORDS);
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put(PAD, PAD_ID);
    vocab.put(UNK, UNK_ID);
    vocab.put(BOS, BOS_ID);
    vocab.put(EOS, EOS_ID);
    for (String w : words) {
      vocab.put(w, vocab.size());
    }
    ClipTextConfig config = config(vocab.size());
    Files.createDirectories(dir);
    ObjectMapper json = new ObjectMapper();

    ObjectNode cfg = config.toJson();
    ObjectNode marker = cfg.putObject(MARKER);
    marker.put("format", 1);
    marker.put("seed", seed);
    marker.put("words", words.size());
    marker.put("captions", captions.size());
    AtomicFiles.writeString(
        dir.resolve("config.json"),
        json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(cfg) + "\n");
    AtomicFiles.writeString(
        dir.resolve("tokenizer.json"), json.writeValueAsString(tokenizerJson(vocab)) + "\n");

    try (PointerScope scope = new PointerScope();
        ClipTextModel model = ClipTextModel.create(config);
        StateDict sd = model.stateDict()) {
      initialise(sd, config, seed);
      SafetensorsWriter.write(dir.resolve("model.safetensors"), sd, Map.of("format", "pt"));
    }
    return dir;
  }

  /** Whether {@code dir} holds an encoder written by {@link #create}. */
  public static boolean isBuiltin(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return false;
    }
    try {
      return HfConfig.read(config).has(MARKER);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The words of {@code caption} as the generated tokenizer splits them (normalised, lowercase).
   */
  static List<String> words(String caption) {
    String norm = Normalizer.normalize(caption, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    Matcher m = WORDS.matcher(norm);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** The {@code max} most frequent words, by decreasing count then code-point order. */
  static List<String> vocabulary(Collection<String> captions, int max) {
    Map<String, Integer> counts = new HashMap<>();
    for (String c : captions) {
      if (c == null) {
        throw new IllegalArgumentException("null caption");
      }
      for (String w : words(c)) {
        counts.merge(w, 1, Integer::sum);
      }
    }
    for (String special : new String[] {PAD, UNK, BOS, EOS}) {
      counts.remove(special);
    }
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
    entries.sort(
        (a, b) ->
            a.getValue().equals(b.getValue())
                ? a.getKey().compareTo(b.getKey())
                : b.getValue() - a.getValue());
    List<String> words = new ArrayList<>();
    for (int i = 0; i < Math.min(max, entries.size()); i++) {
      words.add(entries.get(i).getKey());
    }
    return words;
  }

  /** A Hugging Face tokenizers JSON document with a WordLevel model over {@code vocab}. */
  static ObjectNode tokenizerJson(Map<String, Integer> vocab) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode t = m.createObjectNode();
    t.put("version", "1.0");
    t.putNull("truncation");
    ObjectNode padding = t.putObject("padding");
    padding.put("strategy", "BatchLongest");
    padding.put("direction", "Right");
    padding.putNull("pad_to_multiple_of");
    padding.put("pad_id", PAD_ID);
    padding.put("pad_type_id", 0);
    padding.put("pad_token", PAD);
    ArrayNode added = t.putArray("added_tokens");
    for (String s : new String[] {PAD, UNK, BOS, EOS}) {
      ObjectNode a = added.addObject();
      a.put("id", vocab.get(s));
      a.put("content", s);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
    }
    ObjectNode normalizer = t.putObject("normalizer");
    normalizer.put("type", "Sequence");
    ArrayNode norms = normalizer.putArray("normalizers");
    norms.addObject().put("type", "NFC");
    norms.addObject().put("type", "Lowercase");
    t.putObject("pre_tokenizer").put("type", "Whitespace");
    ObjectNode post = t.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    special(single, BOS, 0);
    sequence(single, "A", 0);
    special(single, EOS, 0);
    ArrayNode pair = post.putArray("pair");
    special(pair, BOS, 0);
    sequence(pair, "A", 0);
    special(pair, EOS, 0);
    sequence(pair, "B", 1);
    special(pair, EOS, 1);
    ObjectNode specials = post.putObject("special_tokens");
    for (String s : new String[] {BOS, EOS}) {
      ObjectNode o = specials.putObject(s);
      o.put("id", s);
      o.putArray("ids").add(vocab.get(s));
      o.putArray("tokens").add(s);
    }
    t.putNull("decoder");
    ObjectNode model = t.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    model.put("unk_token", UNK);
    return t;
  }

  private static void special(ArrayNode list, String token, int typeId) {
    ObjectNode s = list.addObject().putObject("SpecialToken");
    s.put("id", token);
    s.put("type_id", typeId);
  }

  private static void sequence(ArrayNode list, String id, int typeId) {
    ObjectNode s = list.addObject().putObject("Sequence");
    s.put("id", id);
    s.put("type_id", typeId);
  }

  /**
   * Fills the parameters as upstream's {@code CLIPPreTrainedModel._init_weights} does (initializer
   * factor 1), drawing from one generator seeded with {@code seed}, in state-dict order.
   */
  static void initialise(StateDict sd, ClipTextConfig c, long seed) {
    double d = c.hiddenSize();
    double depth = Math.pow(2.0 * c.numHiddenLayers(), -0.5);
    double inProj = Math.pow(d, -0.5) * depth;
    double outProj = Math.pow(d, -0.5);
    double fc1 = Math.pow(2 * d, -0.5);
    try (PointerScope scope = new PointerScope();
        NoGradGuard g = new NoGradGuard();
        Generator gen = Seeds.cpuGenerator(seed)) {
      GeneratorOptional opt = new GeneratorOptional(gen);
      for (Map.Entry<String, Tensor> e : sd.asMap().entrySet()) {
        String name = e.getKey();
        Tensor t = e.getValue();
        if (name.endsWith("embedding.weight")) {
          t.normal_(0.0, 0.02, opt);
        } else if (name.contains("layer_norm") && name.endsWith(".weight")) {
          t.fill_(new org.bytedeco.pytorch.Scalar(1.0));
        } else if (name.endsWith(".bias")) {
          t.zero_();
        } else if (name.endsWith("q_proj.weight")
            || name.endsWith("k_proj.weight")
            || name.endsWith("v_proj.weight")
            || name.endsWith("fc2.weight")) {
          t.normal_(0.0, inProj, opt);
        } else if (name.endsWith("out_proj.weight")) {
          t.normal_(0.0, outProj, opt);
        } else if (name.endsWith("fc1.weight")) {
          t.normal_(0.0, fc1, opt);
        } else {
          throw new IllegalStateException("no initialisation rule for " + name);
        }
      }
    }
  }
}
