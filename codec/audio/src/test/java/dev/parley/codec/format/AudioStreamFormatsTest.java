package dev.parley.codec.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Signals;
import dev.parley.codec.wav.WavReader;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AudioStreamFormatsTest {
  static final int MODEL_RATE = 24000;

  /** Decodes {@code chunks} to 24 kHz mono. */
  static float[] decode(StreamFormat format, List<byte[]> chunks) throws AudioFormatException {
    float[][] out = {new float[0]};
    AudioStreamDecoder d =
        AudioStreamDecoder.create(
            format,
            MODEL_RATE,
            (pcm, off, len) -> {
              float[] grown = Arrays.copyOf(out[0], out[0].length + len);
              System.arraycopy(pcm, off, grown, out[0].length, len);
              out[0] = grown;
            });
    for (byte[] c : chunks) {
      d.feed(c);
    }
    d.finish();
    return out[0];
  }

  static List<byte[]> encode(StreamFormat format, float[] pcm24k, int chunk) {
    List<byte[]> chunks = new ArrayList<>();
    AudioStreamEncoder e = AudioStreamEncoder.create(MODEL_RATE, format, chunks::add);
    for (int i = 0; i < pcm24k.length; i += chunk) {
      e.write(pcm24k, i, Math.min(chunk, pcm24k.length - i));
    }
    e.finish();
    return chunks;
  }

  static List<byte[]> splitRandomly(byte[] all, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < all.length; ) {
      int n = Math.min(all.length - i, 1 + r.nextInt(997));
      out.add(Arrays.copyOfRange(all, i, i + n));
      i += n;
    }
    return out;
  }

  static byte[] join(List<byte[]> chunks) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    chunks.forEach(b::writeBytes);
    return b.toByteArray();
  }

  @ParameterizedTest(name = "{0} {1} Hz {2} ch")
  @CsvSource({
    "PCM_S16LE, 24000, 1",
    "PCM_S16LE, 48000, 2",
    "PCM_F32LE, 16000, 1",
    "PCM_F32LE, 44100, 2",
    "OGG_OPUS, 24000, 1",
    "OGG_OPUS, 48000, 1",
    "OGG_OPUS, 16000, 1",
    "OPUS, 24000, 1",
    "OPUS, 48000, 1"
  })
  void aToneSurvivesEncodingThenDecodingAtItsFrequencyAndLevel(
      StreamEncoding encoding, int rate, int channels) throws Exception {
    StreamFormat format = new StreamFormat(encoding, rate, channels);
    float[] tone = Signals.sine(440, MODEL_RATE, 2 * MODEL_RATE, 0.5);
    float[] back = decode(format, encode(format, tone, 1920));
    // Codec and filter delays shift the signal a little; the length stays within 60 ms.
    assertThat((double) back.length)
        .isCloseTo(tone.length, org.assertj.core.data.Offset.offset(0.06 * MODEL_RATE));
    int from = MODEL_RATE / 2;
    int to = from + MODEL_RATE;
    assertThat(Signals.toneAmplitude(back, from, to, 440, MODEL_RATE))
        .as("440 Hz level")
        .isBetween(0.4, 0.6);
    assertThat(Signals.toneAmplitude(back, from, to, 1000, MODEL_RATE))
        .as("no other tone")
        .isLessThan(0.02);
  }

  @Test
  void pcmSplitAnywhereDecodesAsInOneChunk() throws Exception {
    StreamFormat format = new StreamFormat(StreamEncoding.PCM_S16LE, 44100, 2);
    byte[] all = join(encode(format, Signals.sweep(100, 5000, MODEL_RATE, MODEL_RATE, 0.4), 777));
    float[] whole = decode(format, List.of(all));
    float[] pieces = decode(format, splitRandomly(all, 3));
    assertThat(pieces).containsExactly(whole);
  }

  @Test
  void oggOpusSplitAnywhereDecodesAsPageByPage() throws Exception {
    StreamFormat format = new StreamFormat(StreamEncoding.OGG_OPUS, 24000, 1);
    List<byte[]> pages =
        encode(format, Signals.sweep(100, 5000, MODEL_RATE, MODEL_RATE, 0.4), 1920);
    assertThat(decode(format, splitRandomly(join(pages), 9)))
        .containsExactly(decode(format, pages));
  }

  @Test
  void stereoIsMixedDownByAveraging() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(4 * 2 * 2400).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 2400; i++) {
      b.putFloat(0.5f).putFloat(-0.1f); // left and right
    }
    float[] mono = decode(new StreamFormat(StreamEncoding.PCM_F32LE, 24000, 2), List.of(b.array()));
    assertThat(mono).hasSize(2400);
    assertThat(mono[1000]).isEqualTo(0.2f);
  }

  @Test
  void oggOpusOutputIsAStreamOpusdecDecodes(@TempDir Path dir) throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    float[] tone = Signals.sine(300, MODEL_RATE, 3 * MODEL_RATE, 0.5);
    Path ogg = dir.resolve("out.opus");
    Files.write(ogg, join(encode(new StreamFormat(StreamEncoding.OGG_OPUS, 48000, 1), tone, 1920)));
    Path wav = dir.resolve("out.wav");
    ExternalTools.run("opusdec", "--rate", "24000", "--float", ogg.toString(), wav.toString());
    float[] decoded = WavReader.read(wav).samples();
    assertThat(decoded.length).isEqualTo(tone.length); // the end granule trims the padding exactly
    assertThat(Signals.toneAmplitude(decoded, MODEL_RATE, 2 * MODEL_RATE, 300, MODEL_RATE))
        .isBetween(0.4, 0.6);
  }

  @Test
  void badInputFailsWithAMessageSayingWhat() {
    byte[] nan =
        ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putFloat(0.1f)
            .putFloat(Float.NaN)
            .array();
    assertThatThrownBy(
            () -> decode(new StreamFormat(StreamEncoding.PCM_F32LE, 24000, 1), List.of(nan)))
        .isInstanceOf(AudioFormatException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(
            () ->
                decode(new StreamFormat(StreamEncoding.PCM_S16LE, 24000, 2), List.of(new byte[6])))
        .hasMessageContaining("inside a sample frame");
    assertThatThrownBy(
            () ->
                decode(
                    new StreamFormat(StreamEncoding.OGG_OPUS, 24000, 1),
                    List.of("not an ogg stream at all".getBytes())))
        .isInstanceOf(AudioFormatException.class);
    assertThatThrownBy(
            () ->
                decode(
                    new StreamFormat(StreamEncoding.OPUS, 48000, 1),
                    List.of(new byte[] {(byte) 0xFF})))
        .isInstanceOf(AudioFormatException.class);
    assertThatThrownBy(() -> new StreamFormat(StreamEncoding.OPUS, 44100, 1))
        .hasMessageContaining("44100");
    assertThatThrownBy(() -> new StreamFormat(StreamEncoding.PCM_S16LE, 4000, 1))
        .hasMessageContaining("8000 to");
    assertThatThrownBy(() -> new StreamFormat(StreamEncoding.PCM_S16LE, 24000, 3))
        .hasMessageContaining("channels");
  }
}
