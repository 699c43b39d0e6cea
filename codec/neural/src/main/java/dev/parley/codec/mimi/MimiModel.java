package dev.parley.codec.mimi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parley.codec.nn.CheckpointParameters;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.nn.Parameters;
import dev.parley.codec.nn.RandomParameters;
import dev.parley.codec.nn.Sequential;
import dev.parley.codec.nn.StreamingConv1d;
import dev.parley.codec.nn.StreamingConvTranspose1d;
import dev.parley.codec.nn.Transformer;
import dev.parley.codec.tensor.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Mimi neural audio codec ({@code models/compression.py} MimiModel): 24 kHz PCM ↔ K codes per
 * 80 ms frame. Weights are immutable and may be shared by any number of {@link MimiStreams};
 * callers of the tensor-level methods scope memory per step with an {@link NDScope} (DJL puts an
 * operation's result in its first operand's manager, which may be a weight's); the host-array
 * methods do so themselves.
 */
public final class MimiModel {
  /** Legacy codebook buffer names accepted by the reference's load hook. */
  static final Map<String, String> LEGACY_NAMES =
      Map.of(
          "inited",
          "_initialized",
          "cluster_size",
          "cluster_usage",
          "embed_avg",
          "embedding_sum",
          "embed_sum",
          "embedding_sum");

  private final MimiConfig config;
  private final Sequential encoder;
  private final Transformer encoderTransformer;
  private final StreamingConv1d downsample;
  private final SplitResidualVectorQuantizer quantizer;
  private final StreamingConvTranspose1d upsample;
  private final Transformer decoderTransformer;
  private final Sequential decoder;
  private final DataType dataType;

  /** Builds the model, asking {@code p} for every checkpoint tensor by its exact name. */
  public MimiModel(MimiConfig config, Parameters p, DataType dataType) {
    this.config = config;
    this.dataType = dataType;
    int dim = config.seanet().dimension();
    int stride = config.resampleStride();
    encoder = Seanet.encoder(p, config.seanet());
    encoderTransformer =
        new Transformer(p, "encoder_transformer.transformer.", config.transformer());
    downsample =
        new StreamingConv1d(
            p, "downsample.conv.conv.conv.", dim, dim, 2 * stride, stride, 1, 1, false, true);
    quantizer = new SplitResidualVectorQuantizer(p, config.quantizer());
    upsample =
        new StreamingConvTranspose1d(
            p, "upsample.convtr.convtr.convtr.", dim, dim, 2 * stride, stride, dim, false);
    decoderTransformer =
        new Transformer(p, "decoder_transformer.transformer.", config.transformer());
    decoder = Seanet.decoder(p, config.seanet());
  }

  /**
   * Loads a Kyutai Mimi checkpoint (F32, F16 or BF16 safetensors). Any missing, unexpected or
   * mis-shaped tensor fails the load with one message listing them all.
   */
  public static MimiModel load(
      Path weights, MimiConfig config, NDManager manager, DataType dataType) throws IOException {
    try (SafeTensorsFile file = SafeTensorsFile.open(weights)) {
      CheckpointParameters p = new CheckpointParameters(file, manager, dataType, LEGACY_NAMES);
      MimiModel model = new MimiModel(config, p, dataType);
      p.verify();
      return model;
    }
  }

  /** Seeded random weights of the given architecture (benchmarks, demo, memory tests). */
  public static MimiModel random(MimiConfig config, NDManager manager, long seed) {
    return random(config, manager, seed, DataType.FLOAT32);
  }

  /** Seeded random weights in {@code dataType} (FLOAT32, or FLOAT16 to halve weight traffic). */
  public static MimiModel random(
      MimiConfig config, NDManager manager, long seed, DataType dataType) {
    return new MimiModel(config, new RandomParameters(manager, seed, dataType), dataType);
  }

  public MimiConfig config() {
    return config;
  }

  public int frameSize() {
    return config.frameSize();
  }

  public int numCodebooks() {
    return config.numCodebooks();
  }

  public DataType dataType() {
    return dataType;
  }

  // ---- whole-sequence calls -------------------------------------------------------------------

  /** pcm [B, 1, T] → unquantized latent [B, D, ceil(T/1920)] (input right-padded with zeros). */
  public NDArray encodeToLatent(NDArray pcm) {
    NDArray x = padToFrames(pcm);
    NDArray z = encoder.forward(x);
    z = encoderTransformer.forward(z.transpose(0, 2, 1)).transpose(0, 2, 1);
    return downsample.forward(z);
  }

  /** pcm [B, 1, T] → codes [B, K, ceil(T/1920)] (int64). */
  public NDArray encode(NDArray pcm) {
    return quantize(encodeToLatent(pcm));
  }

  /** codes [B, K, F] → pcm [B, 1, 1920·F]. */
  public NDArray decode(NDArray codes) {
    NDArray z = upsample.forward(decodeLatent(codes));
    z = decoderTransformer.forward(z.transpose(0, 2, 1)).transpose(0, 2, 1);
    return decoder.forward(z);
  }

  /** codes [B, K, F] → quantized latent [B, D, F]. */
  public NDArray decodeLatent(NDArray codes) {
    return quantizer.decode(codes.transpose(0, 2, 1)).transpose(0, 2, 1);
  }

  private NDArray quantize(NDArray latent) {
    return quantizer.encode(latent.transpose(0, 2, 1), config.numCodebooks()).transpose(0, 2, 1);
  }

  private NDArray padToFrames(NDArray pcm) {
    long t = pcm.getShape().get(2);
    long frame = frameSize();
    long padded = (t + frame - 1) / frame * frame;
    if (padded == t && t > 0) {
      return cast(pcm);
    }
    Shape s = pcm.getShape();
    NDArray zeros =
        pcm.getManager()
            .zeros(new Shape(s.get(0), s.get(1), Math.max(padded, frame) - t), dataType);
    return cast(pcm).concat(zeros, 2);
  }

  private NDArray cast(NDArray x) {
    return x.getDataType() == dataType ? x : x.toType(dataType, false);
  }

  // ---- streaming calls ------------------------------------------------------------------------

  /**
   * Fresh streaming state for {@code batch} independent streams, owned by a sub-manager of {@code
   * parent}.
   */
  public MimiStreams newStreams(NDManager parent, int batch) {
    NDManager m = parent.newSubManager();
    return new MimiStreams(
        m,
        batch,
        encoder.newState(m, batch),
        encoderTransformer.newState(m, batch, dataType),
        downsample.newState(m, batch),
        upsample.newState(m, batch),
        decoderTransformer.newState(m, batch, dataType),
        decoder.newState(m, batch));
  }

  /** Streaming latent: pcm [B, 1, 1920·n] → latent [B, D, n]. */
  public NDArray encodeLatentStep(NDArray pcm, MimiStreams s, ExecMask mask) {
    checkStreaming(pcm, s, frameSize());
    NDArray z = encoder.step(cast(pcm), s.encoder, mask);
    z =
        encoderTransformer
            .step(z.transpose(0, 2, 1), s.encoderTransformer, mask)
            .transpose(0, 2, 1);
    return downsample.step(z, s.downsample, mask);
  }

  /** Streaming encode: pcm [B, 1, 1920·n] → codes [B, K, n]. */
  public NDArray encodeStep(NDArray pcm, MimiStreams s, ExecMask mask) {
    return quantize(encodeLatentStep(pcm, s, mask));
  }

  /** Streaming decode: codes [B, K, n] → pcm [B, 1, 1920·n]. */
  public NDArray decodeStep(NDArray codes, MimiStreams s, ExecMask mask) {
    checkStreaming(codes, s, 1);
    NDArray z = upsample.step(decodeLatent(codes), s.upsample, mask);
    z =
        decoderTransformer
            .step(z.transpose(0, 2, 1), s.decoderTransformer, mask)
            .transpose(0, 2, 1);
    return decoder.step(z, s.decoder, mask);
  }

  private static void checkStreaming(NDArray x, MimiStreams s, int multiple) {
    Shape shape = x.getShape();
    if (shape.get(0) < 1 || shape.get(0) > s.batch()) {
      throw new IllegalArgumentException(
          "batch " + shape.get(0) + " does not fit the " + s.batch() + " streams");
    }
    long t = shape.get(2);
    if (t <= 0 || t % multiple != 0) {
      throw new IllegalArgumentException(
          "streaming input length " + t + " is not a positive multiple of " + multiple);
    }
  }

  /**
   * One 80 ms frame per stream, host arrays in and out, with its own native-memory scope. {@code
   * pcm[b]} holds 1920 samples; inactive slots may pass null and keep their state. With fewer rows
   * than streams, streams 0..pcm.length−1 step and the others are not computed.
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public long[][] encodeFrame(float[][] pcm, MimiStreams s, ExecMask mask) {
    int b = pcm.length;
    int n = frameSize();
    float[] flat = new float[b * n];
    for (int i = 0; i < b; i++) {
      if (pcm[i] != null) {
        if (pcm[i].length != n) {
          throw new IllegalArgumentException(
              "stream " + i + ": a frame is " + n + " samples, got " + pcm[i].length);
        }
        System.arraycopy(pcm[i], 0, flat, i * n, n);
      }
    }
    // NDScope also frees what an operation on a weight or state tensor left in that tensor's
    // manager.
    try (NDScope ignored = new NDScope();
        NDManager scope = s.manager().newSubManager()) {
      NDArray codes = encodeStep(scope.create(flat, new Shape(b, 1, n)), s, mask);
      long[] c = codes.toType(DataType.INT64, false).toLongArray();
      int k = numCodebooks();
      long[][] out = new long[b][k];
      for (int i = 0; i < b; i++) {
        System.arraycopy(c, i * k, out[i], 0, k);
      }
      return out;
    }
  }

  /**
   * One frame of K codes per stream in, 1920 samples per stream out. K may be less than {@link
   * #numCodebooks} (the first K codebooks of the residual quantizer: coarser audio), the same for
   * every stream. As {@link #encodeFrame}, {@code codes.length} streams step.
   */
  // The scope is opened for what closing it does: it frees every array made inside.
  @SuppressWarnings("try")
  public float[][] decodeFrame(long[][] codes, MimiStreams s, ExecMask mask) {
    int b = codes.length;
    int k = numCodebooks();
    for (long[] c : codes) {
      if (c != null) {
        k = c.length;
        break;
      }
    }
    if (k < 1 || k > numCodebooks()) {
      throw new IllegalArgumentException(
          "expected 1.." + numCodebooks() + " codes per frame, got " + k);
    }
    long[] flat = new long[b * k];
    for (int i = 0; i < b; i++) {
      if (codes[i] != null) {
        if (codes[i].length != k) {
          throw new IllegalArgumentException(
              "stream " + i + ": expected " + k + " codes, got " + codes[i].length);
        }
        for (int j = 0; j < k; j++) {
          long c = codes[i][j];
          if (c < 0 || c >= config.quantizer().bins()) {
            throw new IllegalArgumentException("stream " + i + ": code " + c + " out of range");
          }
          flat[i * k + j] = c;
        }
      }
    }
    try (NDScope ignored = new NDScope();
        NDManager scope = s.manager().newSubManager()) {
      NDArray pcm = decodeStep(scope.create(flat, new Shape(b, k, 1)), s, mask);
      float[] p = pcm.toType(DataType.FLOAT32, false).toFloatArray();
      int n = frameSize();
      float[][] out = new float[b][n];
      for (int i = 0; i < b; i++) {
        System.arraycopy(p, i * n, out[i], 0, n);
      }
      return out;
    }
  }
}
