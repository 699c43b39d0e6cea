package dev.parley.client;

import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SynthesizeRequest;
import java.util.List;

/**
 * Settings of one speech synthesis: voice (or one voice per speaker), the dialogue turns of a
 * multi-speaker synthesis, the output format, sampling, and how much text the client may buffer
 * while gRPC flow control holds it back. Unset values take the server's defaults.
 *
 * <pre>{@code
 * SpeechOptions.builder().voice("demo-alto").seed(7).temperature(0f).build();
 * SpeechOptions.builder().turns(List.of("Hi!", "Hello.")).voices(List.of("alice", "bob")).build();
 * }</pre>
 */
public final class SpeechOptions {
  /** 1 MiB of text: far more than a stream of an LLM's words ever needs to queue. */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 1L << 20;

  private final String voice;
  private final List<String> voices;
  private final List<String> turns;
  private final AudioFormat outputFormat;
  private final Float temperature;
  private final Long seed;
  private final Float cfgCoef;
  private final long maxBufferedBytes;

  private SpeechOptions(Builder b) {
    this.voice = b.voice;
    this.voices = b.voices;
    this.turns = b.turns;
    this.outputFormat = b.outputFormat;
    this.temperature = b.temperature;
    this.seed = b.seed;
    this.cfgCoef = b.cfgCoef;
    this.maxBufferedBytes = b.maxBufferedBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The server's default voice, PCM_S16LE 24 kHz mono, the server's sampling. */
  public static SpeechOptions defaults() {
    return builder().build();
  }

  /** A builder holding these options, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.voice = voice;
    b.voices = voices;
    b.turns = turns;
    b.outputFormat = outputFormat;
    b.temperature = temperature;
    b.seed = seed;
    b.cfgCoef = cfgCoef;
    b.maxBufferedBytes = maxBufferedBytes;
    return b;
  }

  /** The voice's name, or null for the server's default. */
  public String voice() {
    return voice;
  }

  /** One voice per speaker (may be empty). */
  public List<String> voices() {
    return voices;
  }

  /** The turns of a multi-speaker synthesis (empty unless set). */
  public List<String> turns() {
    return turns;
  }

  public AudioFormat outputFormat() {
    return outputFormat;
  }

  /** Sampling temperature, or null for the server's. */
  public Float temperature() {
    return temperature;
  }

  /** Seed of the sampler, or null for a random one. */
  public Long seed() {
    return seed;
  }

  /** Classifier-free guidance strength, or null for the server's. */
  public Float cfgCoef() {
    return cfgCoef;
  }

  public long maxBufferedBytes() {
    return maxBufferedBytes;
  }

  /**
   * The request that speaks {@code text} with these options (the first message of a {@code
   * SynthesizeStream} call with the stream's first piece, or "").
   *
   * @param text the text; null or empty when the options carry turns
   * @throws IllegalArgumentException both text and turns are given
   */
  public SynthesizeRequest toRequest(String text) {
    SynthesizeRequest.Builder r = SynthesizeRequest.newBuilder().setOutputFormat(outputFormat);
    if (text != null && !text.isEmpty()) {
      if (!turns.isEmpty()) {
        throw new IllegalArgumentException("give either text or turns, not both");
      }
      r.setText(text);
    }
    r.addAllTurns(turns);
    if (voice != null) {
      r.setVoice(voice);
    }
    r.addAllVoices(voices);
    if (temperature != null) {
      r.setTemperature(temperature);
    }
    if (seed != null) {
      r.setSeed(seed);
    }
    if (cfgCoef != null) {
      r.setCfgCoef(cfgCoef);
    }
    return r.build();
  }

  @Override
  public String toString() {
    return "SpeechOptions{voice="
        + voice
        + ", voices="
        + voices
        + ", turns="
        + turns.size()
        + ", output="
        + AudioFormats.describe(outputFormat)
        + ", temperature="
        + temperature
        + ", seed="
        + seed
        + ", cfg="
        + cfgCoef
        + "}";
  }

  /** Builds {@link SpeechOptions}. */
  public static final class Builder {
    private String voice;
    private List<String> voices = List.of();
    private List<String> turns = List.of();
    private AudioFormat outputFormat = AudioFormats.pcmS16le(AudioFormats.MODEL_RATE);
    private Float temperature;
    private Long seed;
    private Float cfgCoef;
    private long maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;

    private Builder() {}

    /** A voice from {@link ParleyClient#listVoices()}; null or empty: the server's default. */
    public Builder voice(String name) {
      this.voice = name == null || name.isEmpty() ? null : name;
      return this;
    }

    /** One voice per speaker, in turn order (at most the model's max speakers). */
    public Builder voices(List<String> names) {
      for (String n : names) {
        if (n == null || n.isBlank()) {
          throw new IllegalArgumentException("voice names must not be empty");
        }
      }
      this.voices = List.copyOf(names);
      return this;
    }

    /**
     * A multi-speaker dialogue: turn i is spoken by {@code voices[i % voices.size()]} (or the
     * default voice). The text given to {@code synthesize} must then be null or empty.
     */
    public Builder turns(List<String> texts) {
      this.turns = List.copyOf(texts);
      return this;
    }

    /**
     * Format of the audio the server sends: PCM_S16LE or PCM_F32LE at any rate, OGG_OPUS or OPUS
     * (see {@link AudioFormats}); default PCM_S16LE 24 kHz mono, in which one chunk is one 80 ms
     * frame.
     */
    public Builder outputFormat(AudioFormat format) {
      if (format.getEncoding() == Encoding.ENCODING_UNSPECIFIED
          || format.getEncoding() == Encoding.UNRECOGNIZED) {
        throw new IllegalArgumentException(
            "the output format needs an encoding (e.g. AudioFormats.pcmS16le(24000))");
      }
      this.outputFormat = format;
      return this;
    }

    /** Sampling temperature of text and audio tokens; 0 is greedy. */
    public Builder temperature(float t) {
      if (!(t >= 0) || Float.isInfinite(t)) {
        throw new IllegalArgumentException("temperature must be 0 or more, got " + t);
      }
      this.temperature = t;
      return this;
    }

    /** Greedy sampling: temperature 0 (the same text then always gives the same audio). */
    public Builder greedy() {
      return temperature(0);
    }

    /** Seed of the sampler: the same seed, text and options give the same audio. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Classifier-free guidance strength (the server's default is 2.0). */
    public Builder cfgCoef(float coef) {
      if (!(coef >= 0) || Float.isInfinite(coef)) {
        throw new IllegalArgumentException("cfg coefficient must be 0 or more, got " + coef);
      }
      this.cfgCoef = coef;
      return this;
    }

    /** Most bytes of text a {@link SpeechStream} queues while flow control holds it back. */
    public Builder maxBufferedBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxBufferedBytes must be positive");
      }
      this.maxBufferedBytes = bytes;
      return this;
    }

    public SpeechOptions build() {
      return new SpeechOptions(this);
    }
  }
}
