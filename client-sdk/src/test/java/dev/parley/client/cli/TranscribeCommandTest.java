package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.testing.FakeParleyServer;
import dev.parley.client.testing.ScriptedTranscription;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavWriter;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parley transcribe} end to end against {@link ScriptedTranscription}, whose script is
 * "Hello" 0.40-0.80, "world." 0.88-1.36 (end of turn), "How" 2.00-2.24, "are" 2.32-2.48, "you?"
 * 2.56-2.96; the expected documents below are worked out by hand from those times.
 */
class TranscribeCommandTest {
  static final String SRT =
      """
      1
      00:00:00,400 --> 00:00:01,360
      Hello world.

      2
      00:00:02,000 --> 00:00:02,960
      How are you?

      """;

  record Run(int status, String out, String err) {}

  static Run run(InputStream stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = ParleyCli.run(args, stdin, new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  static Run run(String... args) {
    return run(InputStream.nullInputStream(), args);
  }

  /** 3.5 s of quiet noise as a 16-bit WAV with these channels and rate. */
  static Path wav(Path dir, int rate, int channels) throws Exception {
    Path p = dir.resolve("in-" + rate + "-" + channels + ".wav");
    float[] x = new float[(int) (3.5 * rate) * channels];
    Random r = new Random(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.01 * r.nextGaussian());
    }
    try (OutputStream o = Files.newOutputStream(p)) {
      WavWriter.write(o, x, channels, rate, WavEncoding.PCM_S16);
    }
    return p;
  }

  @Test
  void aStereo44kWavBecomesSrtCuesOnStdoutWithLiveWordsAndASummaryOnStderr(@TempDir Path dir)
      throws Exception {
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt)) {
      Run r =
          run(
              "transcribe",
              "--server",
              server.target(),
              "--format",
              "srt",
              wav(dir, 44100, 2).toString());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(SRT);
      assertThat(r.err())
          .startsWith("Hello world. [end of turn]\nHow are you?\n")
          .contains("session stt-1 on scripted: 5 words, 3.5 s of audio");
    }
    TranscribeConfig config = stt.configs.get(0);
    assertThat(config.getInputFormat().getEncoding()).isEqualTo(Encoding.PCM_S16LE);
    assertThat(config.getInputFormat().getSampleRateHz()).isEqualTo(44100);
    assertThat(config.getInputFormat().getChannels()).isEqualTo(1); // mixed down on the client
    assertThat(config.getPauseProbabilitiesEverySteps()).isZero();
    assertThat(config.hasEndOfTurnHead()).isFalse();
    assertThat(stt.audioBytes()).hasSize(308700); // 3.5 s x 44100 Hz x 2 bytes, mono
    // A marker after the first 80 ms chunk (7056 bytes) that completes each further second (88200
    // bytes).
    assertThat(stt.markers).containsExactly(13 * 7056L, 26 * 7056L, 39 * 7056L);
  }

  @Test
  void textWithVadHasTurnMarksAndJsonHasWordsTurnsAndPauses(@TempDir Path dir) throws Exception {
    Path in = wav(dir, 24000, 1);
    try (FakeParleyServer server =
        FakeParleyServer.transcribing(ScriptedTranscription.greeting())) {
      Run plain = run("transcribe", "--server", server.target(), in.toString());
      assertThat(plain.status()).as(plain.err()).isZero();
      assertThat(plain.out()).isEqualTo("Hello world. How are you?\n");

      Run vad = run("transcribe", "--server", server.target(), "--vad", "-q", in.toString());
      assertThat(vad.status()).as(vad.err()).isZero();
      assertThat(vad.out())
          .isEqualTo(
              """
          Hello world.
          [end of turn at 1.4 s]
          How are you?
          """);
      assertThat(vad.err()).isEmpty();

      Run json =
          run(
              "transcribe",
              "--server",
              server.target(),
              "--format",
              "json",
              "--vad",
              "--pause-every",
              "10",
              "--end-of-turn-head",
              "1",
              "--end-of-turn-threshold",
              "0.25",
              in.toString());
      assertThat(json.status()).as(json.err()).isZero();
      JsonNode j = new ObjectMapper().readTree(json.out());
      assertThat(j.get("session_id").asText()).isEqualTo("stt-1");
      assertThat(j.get("model").asText()).isEqualTo("scripted");
      assertThat(j.get("delay_s").asDouble()).isEqualTo(0.5);
      assertThat(j.get("audio_s").asDouble()).isEqualTo(3.5);
      assertThat(j.get("text").asText()).isEqualTo("Hello world. How are you?");
      assertThat(j.get("words").get(4).toString())
          .isEqualTo("{\"index\":4,\"text\":\"you?\",\"start_s\":2.56,\"end_s\":2.96}");
      assertThat(j.get("end_of_turns")).hasSize(1);
      // Step 13 + ceil((1.36 + 0.5 + 0.5) / 0.08) = 43; probability 0.875 as the stand-in sends it.
      assertThat(j.get("end_of_turns").get(0).toString())
          .isEqualTo("{\"words_before\":2,\"time_s\":1.36,\"step\":43,\"probability\":0.875}");
      // Every 10th step up to 13 + 3.5 / 0.08 = 56 (the stand-in's 13 prefix steps count).
      assertThat(j.get("pauses"))
          .extracting(p -> p.get("step").asLong())
          .containsExactly(10L, 20L, 30L, 40L, 50L);
      assertThat(j.get("pauses").get(0).get("probabilities").toString())
          .isEqualTo("[0.125,0.25,0.75,0.5]");
    }
  }

  @Test
  void theServerGetsTheConfigOptions(@TempDir Path dir) throws Exception {
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt)) {
      Run r =
          run(
              "transcribe",
              "--server",
              server.target(),
              "--pause-every",
              "10",
              "--end-of-turn-head",
              "1",
              "--end-of-turn-threshold",
              "0.25",
              "-q",
              wav(dir, 24000, 1).toString());
      assertThat(r.status()).as(r.err()).isZero();
    }
    TranscribeConfig c = stt.configs.get(0);
    assertThat(c.getPauseProbabilitiesEverySteps()).isEqualTo(10);
    assertThat(c.getEndOfTurnHead()).isEqualTo(1);
    assertThat(c.getEndOfTurnThreshold()).isEqualTo(0.25f);
  }

  @Test
  void outputFileFormatFollowsItsExtension(@TempDir Path dir) throws Exception {
    Path vtt = dir.resolve("sub/dir/subs.vtt");
    try (FakeParleyServer server =
        FakeParleyServer.transcribing(ScriptedTranscription.greeting())) {
      Run r =
          run(
              "transcribe",
              "--server",
              server.target(),
              "-o",
              vtt.toString(),
              wav(dir, 16000, 1).toString());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains("wrote " + vtt);
    }
    assertThat(Files.readString(vtt))
        .isEqualTo(
            """
        WEBVTT

        00:00:00.400 --> 00:00:01.360
        Hello world.

        00:00:02.000 --> 00:00:02.960
        How are you?

        """);
  }

  @Test
  void anOggOpusFileGoesOutByteForByte(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream ogg = new ByteArrayOutputStream();
    try (OggOpusWriter w = new OggOpusWriter(OggOpusWriter.Options.speech24k(), ogg::writeBytes)) {
      w.write(new float[24000 * 3]);
    }
    Path in = dir.resolve("speech.opus");
    Files.write(in, ogg.toByteArray());
    assertThat(TranscribeInput.oggOpusDuration(ogg.toByteArray(), "x"))
        .isCloseTo(3.0, within(0.03));
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt)) {
      Run r = run("transcribe", "--server", server.target(), "--format", "srt", in.toString());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo(SRT); // the stand-in sends every word at the end of Ogg input
    }
    assertThat(stt.configs.get(0).getInputFormat().getEncoding()).isEqualTo(Encoding.OGG_OPUS);
    assertThat(stt.audioBytes()).isEqualTo(ogg.toByteArray());
  }

  @Test
  void stdinIsRawPcmAtTheGivenRateOrAWavStream(@TempDir Path dir) throws Exception {
    byte[] raw = new byte[16000 * 2 * 7 / 2]; // 3.5 s at 16 kHz
    new Random(5).nextBytes(raw);
    raw[0] = 1; // not "RIFF" or "OggS"
    ScriptedTranscription stt = ScriptedTranscription.greeting();
    try (FakeParleyServer server = FakeParleyServer.transcribing(stt)) {
      Run r =
          run(
              new ByteArrayInputStream(raw),
              "transcribe",
              "--server",
              server.target(),
              "--stdin-rate",
              "16000",
              "-");
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).isEqualTo("Hello world. How are you?\n");
      assertThat(stt.configs.get(0).getInputFormat())
          .isEqualTo(dev.parley.client.AudioFormats.pcmS16le(16000));
      assertThat(stt.audioBytes()).isEqualTo(raw);

      Run w =
          run(
              Files.newInputStream(wav(dir, 8000, 2)),
              "transcribe",
              "--server",
              server.target(),
              "-",
              "-q");
      assertThat(w.status()).as(w.err()).isZero();
      assertThat(stt.configs.get(1).getInputFormat())
          .isEqualTo(dev.parley.client.AudioFormats.pcmS16le(8000));
    }
    assertThat(run("transcribe", "--stdin-rate", "5", "-").status())
        .isEqualTo(ParleyCli.EXIT_LOCAL_ERROR);
  }

  @Test
  void realtimePacesTheInputAndTheDefaultDoesNot(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("short.wav");
    WavWriter.writeMono(in, new float[24000 * 8 / 10], 24000, WavEncoding.PCM_S16); // 0.8 s
    try (FakeParleyServer server =
        FakeParleyServer.transcribing(ScriptedTranscription.greeting())) {
      long t0 = System.nanoTime();
      assertThat(
              run("transcribe", "--server", server.target(), "--realtime", in.toString()).status())
          .isZero();
      assertThat((System.nanoTime() - t0) / 1e9)
          .isGreaterThan(0.65); // 10 chunks, the last due at 0.72 s
      // Unpaced, a file goes as fast as the server takes it: 30 s of audio in well under 30 s
      // (paced, it could not finish before 29 s), however busy the machine.
      Path longer = dir.resolve("long.wav");
      WavWriter.writeMono(longer, new float[24000 * 30], 24000, WavEncoding.PCM_S16);
      t0 = System.nanoTime();
      assertThat(run("transcribe", "--server", server.target(), longer.toString()).status())
          .isZero();
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(29.0);
    }
  }

  @Test
  void aServerWithoutSpeechToTextIsReportedClearlyAndNothingIsWritten(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("out.srt");
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r =
          run(
              "transcribe",
              "--server",
              server.target(),
              "-o",
              out.toString(),
              wav(dir, 24000, 1).toString());
      assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(r.err())
          .contains("the server answered UNIMPLEMENTED", "does not offer that service")
          .doesNotContain("Exception", "\tat ");
      assertThat(r.out()).isEmpty();
    }
    assertThat(out).doesNotExist();
  }

  @Test
  void aFailureMidStreamIsTheServersStatus(@TempDir Path dir) throws Exception {
    TranscriptionGrpc.TranscriptionImplBase overloaded =
        new TranscriptionGrpc.TranscriptionImplBase() {
          @Override
          public StreamObserver<TranscribeRequest> transcribe(
              StreamObserver<TranscribeResponse> out) {
            return new StreamObserver<>() {
              int seen;

              @Override
              public void onNext(TranscribeRequest r) {
                if (++seen == 5) {
                  out.onError(
                      Status.RESOURCE_EXHAUSTED
                          .withDescription("engine full (8 sessions)")
                          .asRuntimeException());
                }
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            };
          }
        };
    try (FakeParleyServer server = FakeParleyServer.transcribing(overloaded)) {
      Run r = run("transcribe", "--server", server.target(), wav(dir, 24000, 1).toString());
      assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(r.err())
          .contains("RESOURCE_EXHAUSTED: engine full (8 sessions)")
          .doesNotContain("\tat ");
    }
  }

  @Test
  void unreadableInputIsALocalError(@TempDir Path dir) throws Exception {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "not audio at all");
    Run r = run("transcribe", text.toString());
    assertThat(r.status()).isEqualTo(ParleyCli.EXIT_LOCAL_ERROR);
    assertThat(r.err()).contains("neither a WAV nor an Ogg Opus file");
    Run missing = run("transcribe", dir.resolve("nope.wav").toString());
    assertThat(missing.status()).isEqualTo(ParleyCli.EXIT_LOCAL_ERROR);
    assertThat(missing.err()).contains("no such file: ").contains("nope.wav");
    Path badOgg = dir.resolve("bad.ogg");
    Files.writeString(badOgg, "OggS but nothing else");
    assertThat(run("transcribe", badOgg.toString()).err()).contains("without an OpusHead");
    assertThat(run("transcribe", "--format", "docx", text.toString()).status())
        .isEqualTo(2); // usage error
  }
}
