package io.jsora.diffusion.rflow;

import io.jsora.tensor.Tensors;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Training frame masks (upstream's {@code MaskGenerator}): per sample a {@link MaskType} drawn with
 * the {@link MaskRatios}, then the condition frames it places. True = generated, false = condition
 * (the frame stays clean and out of the loss; see {@link RFlowTraining#losses}).
 *
 * <p>All randomness comes from the libtorch generator given, so masks are reproducible from its
 * seed (upstream draws from Python's {@code random} module, whose stream this does not imitate). A
 * sample of one frame (an image) is always all true. The quarter types need at least 4 frames (a
 * run of 1..⌊T/4⌋); upstream fails there too ({@code randint(1, 0)}), here with a message.
 */
public final class MaskGenerator {
  private final MaskRatios ratios;

  public MaskGenerator(MaskRatios ratios) {
    this.ratios = ratios;
  }

  public MaskRatios ratios() {
    return ratios;
  }

  /** One sample's mask over {@code frames} latent frames; advances {@code generator}. */
  public boolean[] mask(int frames, Generator generator) {
    if (frames < 1) {
      throw new IllegalArgumentException("mask generator: frames must be >= 1, got " + frames);
    }
    MaskType type = ratios.pick(uniform(generator));
    return mask(type, frames, generator);
  }

  /** A mask of the given type; advances {@code generator} by the draws the type needs. */
  public static boolean[] mask(MaskType type, int frames, Generator generator) {
    boolean[] m = new boolean[frames];
    Arrays.fill(m, true);
    if (frames <= 1) {
      return m;
    }
    int maxRun = frames / 4;
    if (type.quarter() && maxRun < 1) {
      throw new IllegalArgumentException(
          "mask generator: "
              + type
              + " needs at least 4 latent frames (a run of 1.."
              + "frames/4), got "
              + frames);
    }
    switch (type) {
      case IDENTITY:
        break;
      case QUARTER_RANDOM:
        {
          int size = randint(1, maxRun, generator);
          int pos = randint(0, frames - size, generator);
          Arrays.fill(m, pos, pos + size, false);
          break;
        }
      case IMAGE_RANDOM:
        {
          int pos = randint(0, frames - 1, generator);
          m[pos] = false;
          break;
        }
      case QUARTER_HEAD:
        Arrays.fill(m, 0, randint(1, maxRun, generator), false);
        break;
      case IMAGE_HEAD:
        m[0] = false;
        break;
      case QUARTER_TAIL:
        Arrays.fill(m, frames - randint(1, maxRun, generator), frames, false);
        break;
      case IMAGE_TAIL:
        m[frames - 1] = false;
        break;
      case QUARTER_HEAD_TAIL:
        {
          int size = randint(1, maxRun, generator);
          Arrays.fill(m, 0, size, false);
          Arrays.fill(m, frames - size, frames, false);
          break;
        }
      case IMAGE_HEAD_TAIL:
        m[0] = false;
        m[frames - 1] = false;
        break;
      case INTERPOLATE:
        for (int f = randint(0, 1, generator); f < frames; f += 2) {
          m[f] = false;
        }
        break;
      case RANDOM:
        {
          double r = 0.1 + 0.8 * uniform(generator);
          double[] u = uniforms(frames, generator);
          boolean any = false;
          for (int f = 0; f < frames; f++) {
            m[f] = u[f] > r;
            any |= m[f];
          }
          if (!any) {
            m[frames - 1] = true;
          }
          break;
        }
      default:
        throw new IllegalStateException("mask type " + type);
    }
    return m;
  }

  /**
   * Masks for a batch, sample by sample in order ({@code get_masks}).
   *
   * @return bool {@code [batch, frames]} on {@code device}, in the caller's scope
   */
  public Tensor masks(int batch, int frames, Generator generator, Device device) {
    byte[] flat = new byte[batch * frames];
    for (int b = 0; b < batch; b++) {
      boolean[] m = mask(frames, generator);
      for (int f = 0; f < frames; f++) {
        flat[b * frames + f] = (byte) (m[f] ? 1 : 0);
      }
    }
    try (Tensor u8 = Tensors.ofBytes(flat, batch, frames)) {
      return u8.to(device, ScalarType.Bool);
    }
  }

  /** A uniform integer in {@code [lo, hi]} (both inclusive, as Python's {@code randint}). */
  private static int randint(int lo, int hi, Generator g) {
    int v = lo + (int) Math.floor(uniform(g) * (hi - lo + 1));
    return Math.min(v, hi);
  }

  private static double uniform(Generator g) {
    return uniforms(1, g)[0];
  }

  private static double[] uniforms(int n, Generator g) {
    try (PointerScope s = new PointerScope()) {
      Tensor u =
          torch.rand(
              new long[] {n}, new GeneratorOptional(g), new TensorOptions(ScalarType.Double));
      return Tensors.toDoubles(u);
    }
  }
}
