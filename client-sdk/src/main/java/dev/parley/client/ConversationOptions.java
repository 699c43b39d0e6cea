package dev.parley.client;

import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.SamplingParams;
import dev.parley.proto.v1.SessionConfig;

/**
 * Settings of one conversation: audio formats both ways, sampling, per-frame timing, and how much
 * audio the client may buffer while gRPC flow control holds it back.
 *
 * <pre>{@code
 * ConversationOptions.builder().textTemperature(0.7f).seed(42).frameTiming(true).build();
 * }</pre>
 */
public final class ConversationOptions {
  /** 10 s of 24 kHz 16-bit mono: far more than a live stream ever needs to queue. */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 10L * 48000;

  private final AudioFormat inputFormat;
  private final AudioFormat outputFormat;
  private final SamplingParams sampling;
  private final boolean frameTiming;
  private final long maxBufferedBytes;
  private final String textPrompt;
  private final String voiceName;
  private final byte[] voiceWav;

  private ConversationOptions(Builder b) {
    this.textPrompt = b.textPrompt;
    this.voiceName = b.voiceName;
    this.voiceWav = b.voiceWav;
    this.inputFormat = b.inputFormat;
    this.outputFormat = b.outputFormat;
    this.sampling = b.sampling.build();
    this.frameTiming = b.frameTiming;
    this.maxBufferedBytes = b.maxBufferedBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: PCM_S16LE 24 kHz mono both ways, the server's sampling, no frame timing. */
  public static ConversationOptions defaults() {
    return builder().build();
  }

  public AudioFormat inputFormat() {
    return inputFormat;
  }

  public AudioFormat outputFormat() {
    return outputFormat;
  }

  public SamplingParams sampling() {
    return sampling;
  }

  public boolean frameTiming() {
    return frameTiming;
  }

  public long maxBufferedBytes() {
    return maxBufferedBytes;
  }

  /** The first message of the Converse stream. */
  /** The role prompt for a PersonaPlex model, or null. */
  public String textPrompt() {
    return textPrompt;
  }

  /** The server voice prompt named, or null. */
  public String voiceName() {
    return voiceName;
  }

  public SessionConfig toSessionConfig() {
    SessionConfig.Builder c =
        SessionConfig.newBuilder()
            .setInputFormat(inputFormat)
            .setOutputFormat(outputFormat)
            .setSampling(sampling)
            .setFrameTiming(frameTiming);
    if (textPrompt != null) {
      c.setTextPrompt(textPrompt);
    }
    if (voiceName != null) {
      c.setVoiceName(voiceName);
    } else if (voiceWav != null) {
      c.setVoiceWav(com.google.protobuf.ByteString.copyFrom(voiceWav));
    }
    return c.build();
  }

  /** Builds {@link ConversationOptions}; unset sampling fields take the server's defaults. */
  public static final class Builder {
    private AudioFormat inputFormat = AudioFormats.pcmS16le(AudioFormats.MODEL_RATE);
    private AudioFormat outputFormat = AudioFormats.pcmS16le(AudioFormats.MODEL_RATE);
    private final SamplingParams.Builder sampling = SamplingParams.newBuilder();
    private boolean frameTiming;
    private long maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;
    private String textPrompt;
    private String voiceName;
    private byte[] voiceWav;

    private Builder() {}

    /** A role prompt (PersonaPlex models; others refuse it). */
    public Builder textPrompt(String text) {
      this.textPrompt = text;
      return this;
    }

    /** One of the server's voice prompts, by name (PersonaPlex models). */
    public Builder voicePrompt(String name) {
      this.voiceName = name;
      this.voiceWav = null;
      return this;
    }

    /** A voice prompt of your own: a WAV file's bytes, any rate, 0.4 to 30 s. */
    public Builder voicePromptWav(byte[] wav) {
      this.voiceWav = wav.clone();
      this.voiceName = null;
      return this;
    }

    /** Format of the audio sent; any PCM rate 8–192 kHz, Ogg Opus or raw Opus. */
    public Builder inputFormat(AudioFormat format) {
      this.inputFormat = format;
      return this;
    }

    /** Format of the audio the server sends back. */
    public Builder outputFormat(AudioFormat format) {
      this.outputFormat = format;
      return this;
    }

    /** Replaces every sampling setting at once. */
    public Builder sampling(SamplingParams params) {
      sampling.clear().mergeFrom(params);
      return this;
    }

    /** Text token temperature; 0 is greedy. */
    public Builder textTemperature(float t) {
      sampling.setTextTemperature(t);
      return this;
    }

    /** Keep the k most likely text tokens; 0 keeps all. */
    public Builder textTopK(int k) {
      sampling.setTextTopK(k);
      return this;
    }

    /** Audio token temperature; 0 is greedy. */
    public Builder audioTemperature(float t) {
      sampling.setAudioTemperature(t);
      return this;
    }

    /** Keep the k most likely audio tokens; 0 keeps all. */
    public Builder audioTopK(int k) {
      sampling.setAudioTopK(k);
      return this;
    }

    /** Seed of the session's random draws: the same seed and input give the same tokens. */
    public Builder seed(long seed) {
      sampling.setSeed(seed);
      return this;
    }

    /** Greedy decoding of text and audio (both temperatures 0). */
    public Builder greedy() {
      return textTemperature(0).audioTemperature(0);
    }

    /** Ask for a FrameTiming message (server latency) with every output frame. */
    public Builder frameTiming(boolean on) {
      this.frameTiming = on;
      return this;
    }

    /** Most bytes the SDK queues while flow control holds audio back, before it refuses more. */
    public Builder maxBufferedBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxBufferedBytes must be positive");
      }
      this.maxBufferedBytes = bytes;
      return this;
    }

    public ConversationOptions build() {
      return new ConversationOptions(this);
    }
  }
}
