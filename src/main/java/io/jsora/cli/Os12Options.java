package io.jsora.cli;

import io.jsora.diffusion.rflow.MaskStrategy;
import io.jsora.pipeline.AspectRatio;
import io.jsora.pipeline.NumFrames;
import io.jsora.pipeline.Resolution;
import io.jsora.pipeline.StageDtype;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The flags of {@code jsora sample} that only an Open-Sora 1.2 model takes (mixed into {@link
 * SampleCommand}); giving {@code --model-dir}, {@code --stdit3}, {@code --vae} or {@code --t5}
 * selects that model. Defaults are the 1.2 inference config's.
 */
final class Os12Options {
  static final List<String> SELECTORS = List.of("--model-dir", "--stdit3", "--vae", "--t5");

  static final List<String> ONLY_OS12 =
      List.of(
          "--model-dir",
          "--stdit3",
          "--vae",
          "--t5",
          "--resolution",
          "--aspect-ratio",
          "--num-frames",
          "--aes",
          "--flow",
          "--reference",
          "--mask-strategy",
          "--loops",
          "--condition-frame-length",
          "--clean-prompt",
          "--no-clean-prompt",
          "--dtype",
          "--t5-dtype",
          "--save-latents");

  @Option(
      names = "--model-dir",
      paramLabel = "DIR",
      description = {
        "Open-Sora 1.2: a directory holding OpenSora-STDiT-v3/, OpenSora-VAE-v1.2/ and t5-v1_1-xxl/ (the Hugging Face",
        "repositories' files), or a Hugging Face hub cache holding them. Without it (and without --stdit3/--vae/--t5 as",
        "directories) the components come from the Hugging Face cache."
      })
  Path modelDir;

  @Option(
      names = "--stdit3",
      paramLabel = "DIR|ID",
      description = "Open-Sora 1.2 STDiT3 directory or id (default: hpcai-tech/OpenSora-STDiT-v3).")
  String stdit3;

  @Option(
      names = "--vae",
      paramLabel = "DIR|ID",
      description = "Open-Sora 1.2 VAE directory or id (default: hpcai-tech/OpenSora-VAE-v1.2).")
  String vae;

  @Option(
      names = "--t5",
      paramLabel = "DIR|ID",
      description = "T5 v1.1 XXL directory or id (default: DeepFloyd/t5-v1_1-xxl).")
  String t5;

  @Option(
      names = "--resolution",
      defaultValue = "240p",
      description = "Open-Sora 1.2: 144p, 240p, 360p, 480p or 720p (default: ${DEFAULT-VALUE}).")
  Resolution resolution;

  @Option(
      names = "--aspect-ratio",
      defaultValue = "9:16",
      description = {
        "Open-Sora 1.2: 9:16, 16:9, 3:4, 4:3 or 1:1 (default: ${DEFAULT-VALUE}), named height:width as upstream names",
        "them: 9:16 is 240x426 (HxW) at 240p, landscape."
      })
  AspectRatio aspectRatio;

  @Option(
      names = "--num-frames",
      defaultValue = "2s",
      description =
          "Open-Sora 1.2: 2s (51 frames), 4s (102), 8s (204), 16s (408) or a frame count (default: ${DEFAULT-VALUE}).")
  NumFrames numFrames;

  @Option(
      names = "--aes",
      defaultValue = "6.5",
      description =
          "Open-Sora 1.2: aesthetic score appended to the prompt as \" aesthetic score: X.\" (default: ${DEFAULT-VALUE}).")
  double aes;

  @Option(
      names = "--flow",
      description =
          "Open-Sora 1.2: motion score appended to the prompt as \" motion score: X.\" (default: none).")
  Double flow;

  @Option(
      names = "--reference",
      paramLabel = "IMAGE|VIDEO",
      split = ";",
      description =
          "Open-Sora 1.2: reference image or video (repeatable or ';'-separated; ref_id 0, 1, ... in --mask-strategy).")
  List<Path> references = new ArrayList<>();

  @Option(
      names = "--mask-strategy",
      paramLabel = "GROUPS",
      description = {
        "Open-Sora 1.2: where references go, upstream syntax: ';'-separated",
        "loop_id,ref_id,ref_start,target_start,length,edit_ratio in latent frames (missing fields 0,0,0,0,1,0);",
        "\"0\" = image to video (default with --reference: 0)."
      })
  MaskStrategy maskStrategy;

  @Option(
      names = "--loops",
      defaultValue = "1",
      description =
          "Open-Sora 1.2: clips generated one after the other, each continuing the last (default: ${DEFAULT-VALUE}).")
  int loops;

  @Option(
      names = "--condition-frame-length",
      defaultValue = "5",
      description =
          "Open-Sora 1.2: latent frames a clip carries into the next (a multiple of 5; default: ${DEFAULT-VALUE}).")
  int conditionFrameLength;

  @Option(
      names = "--clean-prompt",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = {
        "Open-Sora 1.2: clean each prompt before T5 as upstream's inference does (lower case; URLs, HTML, ids and",
        "shop phrases dropped; one kind of dash and quote); --no-clean-prompt only lower-cases (default: on)."
      })
  boolean cleanPrompt;

  @Option(
      names = "--dtype",
      defaultValue = "bf16",
      description =
          "Open-Sora 1.2: dtype of STDiT3 and the VAE, bf16 (upstream's) or fp32 (default: ${DEFAULT-VALUE}).")
  StageDtype dtype;

  @Option(
      names = "--t5-dtype",
      defaultValue = "bf16",
      description = {
        "Open-Sora 1.2: dtype of T5, bf16 or fp32 (default: ${DEFAULT-VALUE}; upstream runs fp32, 19 GB for T5-XXL,",
        "bf16 takes 9.5 GB)."
      })
  StageDtype t5Dtype;

  @Option(
      names = "--save-latents",
      paramLabel = "FILE",
      description =
          "Open-Sora 1.2: also write the sampled latents (latent_K per clip) and the reference latents (reference_K) as safetensors.")
  Path saveLatents;

  /**
   * The strategy to use: the given one, or image-to-video ({@code "0"}) when references are given.
   */
  MaskStrategy strategy() {
    if (maskStrategy != null) {
      return maskStrategy;
    }
    return references.isEmpty() ? MaskStrategy.none() : MaskStrategy.parse("0");
  }
}
