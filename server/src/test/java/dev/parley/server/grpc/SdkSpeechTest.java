package dev.parley.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.parley.client.ParleyClient;
import dev.parley.client.ParleyException;
import dev.parley.client.SpeechListener;
import dev.parley.client.SpeechOptions;
import dev.parley.client.SpeechResult;
import dev.parley.client.SpeechStream;
import dev.parley.client.Synthesis;
import dev.parley.client.cli.ParleyCli;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavReader;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.Voice;
import dev.parley.proto.v1.WordTiming;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.tts.SynthesisModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's speech calls and the {@code parley speak} / {@code parley voices} commands against a
 * real server hosting the demo TTS model (random weights: the audio is not speech, but its frames,
 * word timings and determinism are the engine's own).
 */
@Timeout(180)
class SdkSpeechTest {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String TEXT = "Hello from the Java SDK.";
  static SynthesisModel model;
  static ParleyServer server;

  @BeforeAll
  static void start() throws Exception {
    model = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                null,
                null,
                model,
                ServerConfig.defaults().withHost("127.0.0.1").withPort(0).withGrpcPort(0))
            .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (model != null) {
      model.close();
    }
  }

  static ParleyClient client() {
    return ParleyClient.builder().target("127.0.0.1", server.grpcPort()).build();
  }

  static SpeechOptions fixed(long seed) {
    return SpeechOptions.builder().seed(seed).temperature(0).build();
  }

  record Run(int status, String out, String err) {}

  static Run cli(InputStream stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = args[0];
    all[1] = "--server=127.0.0.1:" + server.grpcPort();
    System.arraycopy(args, 1, all, 2, args.length - 1);
    int status = ParleyCli.run(all, stdin, new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  static Run cli(String... args) {
    return cli(InputStream.nullInputStream(), args);
  }

  static SpeechResult unary(String text, SpeechOptions options) {
    try (ParleyClient client = client();
        Synthesis s = client.synthesize(text, options)) {
      return s.collect();
    }
  }

  @Test
  void synthesizeGivesWholeFramesOfAudioAndWordsInOrder() {
    SpeechResult r = unary(TEXT, fixed(11));
    assertThat(r.ready().getModel()).isEqualTo(SynthesisModel.DEMO_NAME);
    assertThat(r.ready().getVoicesList()).containsExactly("demo-alto");
    assertThat(r.ready().getModelSampleRateHz()).isEqualTo(24000);
    SynthesisEnd end = r.end();
    assertThat(end.getFrames()).isPositive();
    assertThat(r.samples()).hasSize((int) end.getFrames() * 1920);
    assertThat(r.words())
        .extracting(WordTiming::getText)
        .containsExactly("Hello", "from", "the", "Java", "SDK.");
    assertThat(end.getWords()).isEqualTo(5);
    double previous = -1;
    for (WordTiming w : r.words()) {
      assertThat(w.getStartS()).isGreaterThan(previous);
      assertThat(w.getEndS()).isGreaterThanOrEqualTo(w.getStartS());
      assertThat(w.getStartS()).isLessThan(end.getFrames() * 0.08);
      previous = w.getStartS();
    }
    assertThat(r.words()).extracting(WordTiming::getIndex).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void aStreamOfPiecesSpeaksAsOneRequestDoes() throws Exception {
    SpeechResult whole = unary(TEXT, fixed(3));
    ByteArrayOutputStream audio = new ByteArrayOutputStream();
    List<WordTiming> words = new CopyOnWriteArrayList<>();
    SynthesisEnd end;
    try (ParleyClient client = client();
        SpeechStream stream =
            client.openSpeechStream(
                fixed(3),
                new SpeechListener() {
                  @Override
                  public void onAudio(byte[] chunk) {
                    synchronized (audio) {
                      audio.writeBytes(chunk);
                    }
                  }

                  @Override
                  public void onWord(WordTiming word) {
                    words.add(word);
                  }
                })) {
      for (String piece : List.of("Hel", "lo fr", "om the Ja", "va SDK.")) {
        stream.sendText(piece);
      }
      stream.endOfText();
      end = stream.awaitEnd(WAIT);
      assertThat(stream.ready().getVoicesList()).containsExactly("demo-alto");
    }
    assertThat(end.getFrames()).isEqualTo(whole.end().getFrames());
    assertThat(words).isEqualTo(whole.words());
    synchronized (audio) {
      assertThat(audio.toByteArray()).isEqualTo(whole.audio());
    }
  }

  @Test
  void parleySpeakWritesAWavSoxiReadsAs24kWithTheSynthesisLength(@TempDir Path dir)
      throws Exception {
    ExternalTools.require("soxi", "sox");
    SpeechResult reference = unary(TEXT, fixed(5).toBuilder().voice("demo-bass").build());
    Path wav = dir.resolve("speech.wav");
    Run r =
        cli(
            "speak",
            TEXT,
            "-o",
            wav.toString(),
            "--voice",
            "demo-bass",
            "--seed",
            "5",
            "--temperature",
            "0",
            "--timings");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.err())
        .startsWith("wrote " + wav + ": ")
        .contains("5 words (demo-bass on demo-tts)");
    assertThat(r.out().lines().map(l -> l.split("\t")[2]).toList())
        .containsExactly("Hello", "from", "the", "Java", "SDK.");
    long samples = reference.end().getFrames() * 1920;
    assertThat(ExternalTools.run("soxi", "-r", wav.toString()).strip()).isEqualTo("24000");
    assertThat(ExternalTools.run("soxi", "-c", wav.toString()).strip()).isEqualTo("1");
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip())
        .isEqualTo(Long.toString(samples));
    assertThat(Double.parseDouble(ExternalTools.run("soxi", "-D", wav.toString()).strip()))
        .isCloseTo(samples / 24000.0, within(1e-6));
    assertThat(WavReader.read(wav).samples()).containsExactly(reference.samples());
  }

  @Test
  void parleySpeakToAnOpusFileGetsTheServersOggOpus(@TempDir Path dir) throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    ExternalTools.require("soxi", "sox");
    SpeechResult reference = unary(TEXT, fixed(6));
    Path opus = dir.resolve("speech.opus");
    Run r = cli("speak", TEXT, "-o", opus.toString(), "--seed", "6", "--greedy");
    assertThat(r.status()).as(r.err()).isZero();
    Path decoded = dir.resolve("decoded.wav");
    ExternalTools.run("opusdec", "--quiet", "--rate", "24000", opus.toString(), decoded.toString());
    assertThat(Long.parseLong(ExternalTools.run("soxi", "-s", decoded.toString()).strip()))
        .isEqualTo(reference.end().getFrames() * 1920);
  }

  @Test
  void parleySpeakFromStdinStreamsItsLines(@TempDir Path dir) throws Exception {
    ExternalTools.require("soxi", "sox");
    Path wav = dir.resolve("stdin.wav");
    String lines = "Hello there.\n\nHow are\nyou today?\n";
    Run r =
        cli(
            new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)),
            "speak",
            "-",
            "-o",
            wav.toString(),
            "--timings",
            "--seed",
            "1");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out().lines().map(l -> l.split("\t")[2]).toList())
        .containsExactly("Hello", "there.", "How", "are", "you", "today?");
    assertThat(r.err()).contains("6 words (demo-alto on demo-tts)");
    long samples = Long.parseLong(ExternalTools.run("soxi", "-s", wav.toString()).strip());
    assertThat(samples).isPositive();
    assertThat(samples % 1920).isZero();
    assertThat(ExternalTools.run("soxi", "-r", wav.toString()).strip()).isEqualTo("24000");
  }

  @Test
  void parleyVoicesListsTheDemoVoices() {
    Run r = cli("voices");
    assertThat(r.status()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).startsWith("NAME").contains("SOURCE", "DEFAULT");
    assertThat(lines.get(1)).startsWith("demo-alto").contains("builtin").endsWith("*");
    assertThat(lines.get(2)).startsWith("demo-bass").doesNotContain("*");
    assertThat(lines.get(3)).startsWith("2 voices; default demo-alto; dialogues of up to");
    try (ParleyClient client = client()) {
      ListVoicesResponse v = client.listVoices();
      assertThat(v.getVoicesList())
          .extracting(Voice::getName)
          .containsExactly("demo-alto", "demo-bass");
      assertThat(v.getDefaultVoice()).isEqualTo("demo-alto");
    }
  }

  @Test
  void anUnknownVoiceIsAClearErrorEverywhere(@TempDir Path dir) throws Exception {
    try (ParleyClient client = client();
        Synthesis s = client.synthesize(TEXT, SpeechOptions.builder().voice("nobody").build())) {
      assertThatThrownBy(s::collect)
          .isInstanceOfSatisfying(
              ParleyException.class,
              e -> {
                assertThat(e.code()).isIn("INVALID_ARGUMENT", "NOT_FOUND");
                assertThat(e.description()).contains("nobody");
              });
    }
    try (ParleyClient client = client();
        SpeechStream stream =
            client.openSpeechStream(
                SpeechOptions.builder().voice("nobody").build(), new SpeechListener() {})) {
      assertThatThrownBy(() -> stream.awaitEnd(WAIT))
          .isInstanceOfSatisfying(
              ParleyException.class, e -> assertThat(e.description()).contains("nobody"));
    }
    Path wav = dir.resolve("x.wav");
    Run r = cli("speak", TEXT, "--voice", "nobody", "-o", wav.toString());
    assertThat(r.status()).isNotZero();
    assertThat(r.err()).contains("parley: the server answered ", "nobody");
    assertThat(wav).doesNotExist();
    Run stdin =
        cli(
            new ByteArrayInputStream("Hello there\n".getBytes(StandardCharsets.UTF_8)),
            "speak",
            "-",
            "--voice",
            "nobody",
            "-o",
            wav.toString());
    assertThat(stdin.status()).isNotZero();
    assertThat(stdin.err()).contains("nobody");
    assertThat(Files.exists(wav)).isFalse();
  }
}
