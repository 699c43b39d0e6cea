package dev.parley.codec.opus;

import static dev.parley.codec.opus.OggOpusTestSupport.concat;
import static dev.parley.codec.opus.OggOpusTestSupport.decode;
import static dev.parley.codec.opus.OggOpusTestSupport.encodePages;
import static dev.parley.codec.testing.ExternalTools.require;
import static dev.parley.codec.testing.ExternalTools.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.ogg.OggPageWriter;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.testing.Signals;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavReader;
import io.github.jaredmdobson.concentus.OpusApplication;
import io.github.jaredmdobson.concentus.OpusBandwidth;
import io.github.jaredmdobson.concentus.OpusEncoder;
import io.github.jaredmdobson.concentus.OpusMode;
import io.github.jaredmdobson.concentus.OpusPacketInfo;
import io.github.jaredmdobson.concentus.OpusRepacketizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parley's Ogg Opus against Debian's opus-tools (libopus 1.3.1), on espeak-ng speech.
 *
 * <p>Quality measure: Pearson correlation of the waveforms after the best alignment within ±4
 * samples. Opus is perceptual, so it does not preserve the waveform exactly, but speech energy sits
 * below 4 kHz where Opus keeps phase well: a faithful decode correlates above 0.9 with the input,
 * while a decode that is misaligned by a pre-skip error, at the wrong rate, or silent correlates
 * near 0. Two decoders of the same packets (ours and libopus) must agree far more closely: above
 * 0.999 (measured: 0.99999+ against libopus 1.3.1).
 */
class OpusInteropTest {
  private static final String TEXT =
      "Parley listens and speaks at the same time. Every eighty milliseconds, one frame goes in and one comes out.";

  @TempDir static Path dir;
  private static float[] speech;
  private static Path speechWav;

  @BeforeAll
  static void speech() throws Exception {
    require("opusenc", "opus-tools");
    speechWav = ExternalTools.speechWav(dir, TEXT, 24000);
    speech = WavReader.read(speechWav).samples();
  }

  @ParameterizedTest
  @ValueSource(ints = {20, 40})
  void opusdecDecodesWhatParleyWrites(int packetMs) throws Exception {
    Path opus = dir.resolve("parley-" + packetMs + ".opus");
    Files.write(
        opus,
        concat(
            encodePages(
                speech, OggOpusWriter.Options.speech24k().withPacketMillis(packetMs), 1920)));

    String info = run("opusinfo", opus.toString());
    assertThat(info).doesNotContainIgnoringCase("warning").doesNotContainIgnoringCase("error");

    Path wav = dir.resolve("parley-" + packetMs + ".wav");
    run("opusdec", "--quiet", "--rate", "24000", "--float", opus.toString(), wav.toString());
    float[] decoded = WavReader.read(wav).samples();
    // End trimming makes the length exact, well inside the one-packet tolerance.
    assertThat(decoded.length).isEqualTo(speech.length);
    double[] lag = Signals.bestLag(speech, decoded, 4);
    System.out.printf(
        "parley %d ms -> opusdec: correlation with input %.4f at lag %.0f%n",
        packetMs, lag[1], lag[0]);
    assertThat(lag[1]).as("correlation at lag %s", lag[0]).isGreaterThan(0.9);
  }

  @ParameterizedTest
  @CsvSource({
    "2.5,0", "5,20", "10,1000", "20,0", "20,20", "20,1000", "40,0", "40,1000", "60,0", "60,1000"
  })
  void parleyDecodesWhatOpusencWrites(String frameMs, String maxDelay) throws Exception {
    Path opus = dir.resolve("enc-" + frameMs + "-" + maxDelay + ".opus");
    run(
        "opusenc",
        "--quiet",
        "--framesize",
        frameMs,
        "--max-delay",
        maxDelay,
        speechWav.toString(),
        opus.toString());
    byte[] stream = Files.readAllBytes(opus);

    float[] ours = decode(stream, 24000, 11);
    float[] reference = opusdec(opus);
    assertThat(Math.abs(ours.length - reference.length))
        .as("sample counts")
        .isLessThanOrEqualTo(1440 / 2);
    assertThat(ours.length).isEqualTo(speech.length);
    double agreement = Signals.bestLag(reference, ours, 4)[1];
    double fidelity = Signals.bestLag(speech, ours, 4)[1];
    System.out.printf(
        "opusenc %s ms, max-delay %s -> parley: vs libopus %.5f, vs input %.4f%n",
        frameMs, maxDelay, agreement, fidelity);
    assertThat(agreement).as("agreement with libopus").isGreaterThan(0.999);
    assertThat(fidelity).as("fidelity to the input").isGreaterThan(0.97);
  }

  /**
   * 80 and 120 ms packets (as libopus ≥ 1.2 and some browsers send), built by Opus's own
   * repacketizer from 20–60 ms packets of one fixed mode and bandwidth (it merges only frames with
   * the same TOC configuration), decoded by us and by libopus.
   */
  @ParameterizedTest
  @CsvSource({
    "MODE_CELT_ONLY,20,4",
    "MODE_CELT_ONLY,20,6",
    "MODE_SILK_ONLY,20,4",
    "MODE_SILK_ONLY,40,3",
    "MODE_SILK_ONLY,60,2",
    "MODE_HYBRID,20,6"
  })
  void longMultiFramePackets(OpusMode mode, int frameMs, int framesPerPacket) throws Exception {
    OpusEncoder encoder = new OpusEncoder(24000, 1, OpusApplication.OPUS_APPLICATION_AUDIO);
    encoder.setForceMode(mode);
    encoder.setBandwidth(
        mode == OpusMode.MODE_SILK_ONLY
            ? OpusBandwidth.OPUS_BANDWIDTH_WIDEBAND
            : OpusBandwidth.OPUS_BANDWIDTH_SUPERWIDEBAND);
    encoder.setBitrate(32000);
    int frame = 24 * frameMs;
    int preSkip = 2 * encoder.getLookahead();
    int needed = speech.length + encoder.getLookahead();
    int frames = (needed + frame - 1) / frame;
    float[] padded = java.util.Arrays.copyOf(speech, frames * frame);

    OggPageWriter writer = new OggPageWriter(7);
    List<byte[]> pages = new ArrayList<>();
    pages.addAll(
        writer.writePackets(
            List.of(new OpusHead(1, preSkip, 24000, 0, 0).toBytes()), new long[] {0}, false));
    pages.addAll(
        writer.writePackets(
            List.of(new OpusTags("test", List.of()).toBytes()), new long[] {0}, false));
    long granule = 0;
    short[] pcm = new short[frame];
    byte[] buf = new byte[4000];
    for (int f = 0; f < frames; f += framesPerPacket) {
      OpusRepacketizer rp = new OpusRepacketizer();
      int n = Math.min(framesPerPacket, frames - f);
      List<byte[]> keep = new ArrayList<>(); // the repacketizer keeps references to the frames
      for (int k = 0; k < n; k++) {
        dev.parley.codec.audio.Pcm.floatToS16(padded, (f + k) * frame, pcm, 0, frame);
        int len = encoder.encode(pcm, 0, frame, buf, 0, buf.length);
        byte[] p = java.util.Arrays.copyOf(buf, len);
        keep.add(p);
        assertThat(rp.addPacket(p, 0, p.length)).as("frame %d", f + k).isZero();
      }
      byte[] out = new byte[16000];
      int len = rp.createPacket(out, 0, out.length);
      assertThat(len).isPositive();
      byte[] merged = java.util.Arrays.copyOf(out, len);
      int samples = OpusPacketInfo.getNumSamples(merged, 0, len, 48000);
      assertThat(samples).isEqualTo(48 * frameMs * n);
      granule += samples;
      boolean last = f + n >= frames;
      long g = last ? preSkip + 2L * speech.length : granule;
      pages.addAll(writer.writePackets(List.of(merged), new long[] {g}, last));
    }
    Path merged = dir.resolve("merged-" + mode + "-" + frameMs + "x" + framesPerPacket + ".opus");
    Files.write(merged, concat(pages));

    float[] ours = decode(Files.readAllBytes(merged), 24000, 5);
    float[] reference = opusdec(merged);
    assertThat(ours.length).isEqualTo(reference.length).isEqualTo(speech.length);
    assertThat(Signals.bestLag(reference, ours, 4)[1]).isGreaterThan(0.99);
    assertThat(Signals.bestLag(speech, ours, 4)[1]).isGreaterThan(0.85);
  }

  /**
   * What opus-recorder in Kyutai's web client sends: 20 ms AUDIO packets, two per page, a page per
   * message.
   */
  @Test
  void browserStylePagesFedOneMessageAtATime() throws Exception {
    OggOpusWriter.Options browser =
        new OggOpusWriter.Options(
            24000,
            20,
            40,
            24000,
            0,
            io.github.jaredmdobson.concentus.OpusApplication.OPUS_APPLICATION_AUDIO);
    List<byte[]> pages = encodePages(speech, browser, 960);
    OggOpusTestSupport.FloatCollector out = new OggOpusTestSupport.FloatCollector();
    OggOpusReader reader = new OggOpusReader(24000, out);
    int samplesAfterFirstAudioPage = -1;
    for (int i = 0; i < pages.size(); i++) {
      reader.feed(pages.get(i));
      if (i == 2) {
        samplesAfterFirstAudioPage = out.size();
      }
    }
    reader.finish();
    // PCM comes out as each page arrives, not at the end: 40 ms minus pre-skip and filter delay.
    assertThat(samplesAfterFirstAudioPage).isBetween(960 - 156 - 16, 960 - 156);
    assertThat(out.size()).isEqualTo(speech.length);
    assertThat(Signals.bestLag(speech, out.toArray(), 4)[1]).isGreaterThan(0.85);
  }

  private static float[] opusdec(Path opus) throws Exception {
    Path wav = Files.createTempFile(dir, "ref", ".wav");
    run("opusdec", "--quiet", "--rate", "24000", "--float", opus.toString(), wav.toString());
    WavAudio audio = WavReader.read(wav);
    assertThat(audio.sampleRate()).isEqualTo(24000);
    return audio.samples();
  }
}
