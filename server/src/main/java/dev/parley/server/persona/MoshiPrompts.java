package dev.parley.server.persona;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.server.lm.LmConfig;
import java.util.Arrays;

/**
 * Experimental prompts for a Moshi checkpoint, which was never trained on them: the same prefill as
 * PersonaPlex's, with the "silence" and "sine" codes a Moshi config does not carry taken from the
 * model's own Mimi (a silent frame and a 440 Hz tone, each encoded once), the text padding token as
 * the text fed while audio is forced, and PersonaPlex's other settings.
 */
public final class MoshiPrompts {
  /** Frames encoded before the one kept, so the codes are those of a steady signal. */
  private static final int WARMUP_FRAMES = 3;

  private static final double SINE_HZ = 440;
  private static final double SINE_AMPLITUDE = 0.5;

  private MoshiPrompts() {}

  /** Whether a Moshi LM has the 8 + 8 audio streams the prefill forces. */
  public static boolean fits(LmConfig lm) {
    int n = PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM;
    return lm.depQ() == n && lm.nQ() == 2 * n;
  }

  /** The prompt settings of a Moshi model that {@link #fits}; encodes two short signals. */
  public static PersonaPlexConfig config(LmConfig lm, MimiModel mimi, ai.djl.ndarray.NDManager m) {
    if (!fits(lm)) {
      throw new IllegalArgumentException(
          "prompts need n_q 16 and dep_q 8, got n_q " + lm.nQ() + ", dep_q " + lm.depQ());
    }
    int sampleRate = 24000;
    int frame = mimi.frameSize();
    float[] silence = new float[frame * (WARMUP_FRAMES + 1)];
    float[] sine = new float[silence.length];
    for (int i = 0; i < sine.length; i++) {
      sine[i] = (float) (SINE_AMPLITUDE * Math.sin(2 * Math.PI * SINE_HZ * i / sampleRate));
    }
    double frameRate = (double) sampleRate / frame;
    return new PersonaPlexConfig(
        lastFrameCodes(mimi, m, silence),
        lastFrameCodes(mimi, m, sine),
        lm.existingTextPaddingId(),
        (int) (0.5 * frameRate),
        -24.0,
        sampleRate,
        frame,
        lm.maxDelay() + 3);
  }

  /** The first 8 codes of the signal's last frame, streamed through a fresh encoder. */
  private static long[] lastFrameCodes(MimiModel mimi, ai.djl.ndarray.NDManager m, float[] pcm) {
    int n = mimi.frameSize();
    long[] codes = null;
    try (MimiStreams s = mimi.newStreams(m, 1)) {
      for (int off = 0; off < pcm.length; off += n) {
        codes =
            mimi.encodeFrame(
                    new float[][] {Arrays.copyOfRange(pcm, off, off + n)}, s, ExecMask.all(1))[0];
      }
    }
    return Arrays.copyOf(codes, PersonaPlexConfig.AUDIO_TOKENS_PER_STREAM);
  }
}
