package dev.parley.codec.opus;

import static dev.parley.codec.opus.OggOpusTestSupport.concat;
import static dev.parley.codec.opus.OggOpusTestSupport.decode;
import static dev.parley.codec.opus.OggOpusTestSupport.encodePages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.ogg.OggPacket;
import dev.parley.codec.ogg.OggPacketReader;
import dev.parley.codec.testing.Signals;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OggOpusRoundTripTest {

  private static final float[] TONES =
      Signals.concat(
          Signals.sine(440, 24000, 24000, 0.5), Signals.sweep(200, 6000, 24000, 24000, 0.4));

  @ParameterizedTest
  @ValueSource(ints = {20, 40})
  void samplesOutEqualSamplesIn(int packetMs) throws Exception {
    for (int length : new int[] {0, 1, 479, 480, 1920, 24000 + 7, TONES.length}) {
      float[] in = java.util.Arrays.copyOf(TONES, length);
      byte[] stream =
          concat(
              encodePages(in, OggOpusWriter.Options.speech24k().withPacketMillis(packetMs), 333));
      float[] out = decode(stream, 24000, length);
      assertThat(out.length).as("%d samples in", length).isEqualTo(length);
    }
  }

  @Test
  void decodedAudioMatchesInputWithoutDelay() throws Exception {
    // A chirp has no period, so its correlation peaks at one lag only. It stays below 2.5 kHz:
    // above that Opus keeps band energies, not phase, so waveform correlation stops meaning much.
    float[] chirp = Signals.sweep(100, 2500, 24000, 48000, 0.5);
    byte[] stream =
        concat(encodePages(chirp, OggOpusWriter.Options.speech24k().withBitrate(64000), 1920));
    float[] out = decode(stream, 24000, 1);
    // Pre-skip equals the encoder look-ahead, so the best alignment is lag 0 up to the codec's own
    // few-sample phase delay; a pre-skip error would show up as a lag of a hundred samples or more.
    double[] lag = Signals.bestLag(chirp, out, 400);
    assertThat(Math.abs(lag[0]))
        .as("lag %s, correlation %s", lag[0], lag[1])
        .isLessThanOrEqualTo(4);
    assertThat(lag[1]).isGreaterThan(0.95);
  }

  @Test
  void pagesCarryAtMostEightyMillisecondsAndHeadersStandAlone() throws Exception {
    List<byte[]> pages = encodePages(TONES, OggOpusWriter.Options.speech24k(), 1920);
    // Feed page by page and record which packets each page completed.
    List<List<OggPacket>> perPage = new ArrayList<>();
    for (int i = 0; i < pages.size(); i++) {
      perPage.add(new ArrayList<>());
    }
    OggPacketReader reader = new OggPacketReader();
    for (int i = 0; i < pages.size(); i++) {
      reader.feed(pages.get(i), perPage.get(i)::add);
    }
    assertThat(perPage.get(0))
        .singleElement()
        .satisfies(p -> assertThat(OpusHead.parse(p.data()).preSkip()).isEqualTo(312));
    assertThat(perPage.get(1))
        .singleElement()
        .satisfies(p -> assertThat(OpusTags.parse(p.data()).vendor()).startsWith("Parley"));
    long previous = 0;
    for (int i = 2; i < pages.size(); i++) {
      long ms = 0;
      for (OggPacket p : perPage.get(i)) {
        ms +=
            io.github.jaredmdobson.concentus.OpusPacketInfo.getNumSamples(
                    p.data(), 0, p.data().length, 48000)
                / 48;
      }
      assertThat(ms).as("page %d", i).isLessThanOrEqualTo(80);
      long granule = perPage.get(i).get(perPage.get(i).size() - 1).granulePosition();
      assertThat(granule).as("granule of page %d", i).isGreaterThan(previous);
      previous = granule;
    }
    // Final granule = pre-skip + input samples at 48 kHz.
    assertThat(previous).isEqualTo(312 + 2L * TONES.length);
  }

  @Test
  void aLiveWriterEmitsOnePagePerMimiFrame() {
    List<byte[]> pages = new ArrayList<>();
    OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::add);
    w.write(new float[1920]);
    assertThat(pages).hasSize(3); // OpusHead, OpusTags, one audio page
    w.write(new float[1919]);
    assertThat(pages).hasSize(3);
    w.write(new float[1]);
    assertThat(pages).hasSize(4);
  }

  @Test
  void decodesAtEveryOpusRate() throws Exception {
    byte[] stream = concat(encodePages(TONES, OggOpusWriter.Options.speech24k(), 1920));
    for (int rate : new int[] {8000, 12000, 16000, 48000}) {
      float[] out = decode(stream, rate, 7);
      assertThat(out.length).isEqualTo(TONES.length * (long) rate / 24000);
    }
  }
}
