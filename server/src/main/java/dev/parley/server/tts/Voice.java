package dev.parley.server.tts;

/**
 * A voice embedding as {@code kyutai/tts-voices} stores it: tensor {@code speaker_wavs} {@code [1,
 * dim, steps]}, row-major.
 *
 * @param source where it came from ("builtin", "client", "hf:kyutai/tts-voices", a directory)
 */
public record Voice(String name, String source, float[] speakerWavs, int dim, int steps) {
  public Voice {
    if (dim < 1 || steps < 1 || speakerWavs.length != (long) dim * steps) {
      throw new IllegalArgumentException(
          "voice "
              + name
              + ": "
              + speakerWavs.length
              + " values do not make [1, "
              + dim
              + ", "
              + steps
              + "]");
    }
    for (float v : speakerWavs) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("voice " + name + " holds a non-finite value");
      }
    }
  }

  /**
   * A voice a client sent ({@code Voice{embeddings, shape}} of moshi-server's protocol): the shape
   * must be {@code [1, dim, steps]} (or {@code [dim, steps]}) with the model's {@code dim}.
   */
  public static Voice fromClient(float[] embeddings, long[] shape, int modelDim) {
    long[] s = shape.length == 3 && shape[0] == 1 ? new long[] {shape[1], shape[2]} : shape;
    if (s.length != 2 || s[0] != modelDim || s[1] < 1 || s[1] > 10_000) {
      throw new IllegalArgumentException(
          "voice embedding shape "
              + java.util.Arrays.toString(shape)
              + " is not [1, "
              + modelDim
              + ", T] with 1 <= T <= 10000");
    }
    if (embeddings.length != s[0] * s[1]) {
      throw new IllegalArgumentException(
          "voice embedding has "
              + embeddings.length
              + " values, its shape "
              + java.util.Arrays.toString(shape)
              + " needs "
              + s[0] * s[1]);
    }
    return new Voice("custom", "client", embeddings.clone(), (int) s[0], (int) s[1]);
  }
}
