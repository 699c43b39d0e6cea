package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.testing.FakeParleyServer;
import dev.parley.client.testing.ScriptedSpeech;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SynthesizeRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parley speak} and {@code parley voices} against {@link ScriptedSpeech}: each word is three
 * 80 ms frames (5760 samples) of a tone, so every length below is known exactly.
 */
class SpeakCommandTest {
  static final int WORD_SAMPLES = ScriptedSpeech.FRAMES_PER_WORD * ScriptedSpeech.FRAME;

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

  static byte[] pcm(int words) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < words; i++) {
      float[] x = ScriptedSpeech.wordSamples(i);
      b.writeBytes(Pcm.monoToS16le(x, 0, x.length));
    }
    return b.toByteArray();
  }

  static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  static long size(Path p) {
    try {
      return Files.exists(p) ? Files.size(p) : -1;
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  @Test
  void textBecomesA24kWavThatSoxiReadsWithTheRightLengthAndTimingsOnStdout(@TempDir Path dir)
      throws Exception {
    ExternalTools.require("soxi", "sox");
    ScriptedSpeech speech = new ScriptedSpeech();
    Path wav = dir.resolve("out/hello.wav");
    try (FakeParleyServer server = FakeParleyServer.speaking(speech)) {
      Run r =
          run(
              "speak",
              "--server",
              server.target(),
              "Hello there <break time=\"0.5s\"/> world.",
              "-o",
              wav.toString(),
              "--timings");
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out())
          .isEqualTo(
              "0.000\t0.200\tHello\n0.240\t0.440\tthere\n0.480\t0.680\t<break\n0.720\t0.920\t"
                  + "time=\"0.5s\"/>\n0.960\t1.160\tworld.\n");
      assertThat(r.err())
          .startsWith(
              "wrote "
                  + wav
                  + ": 1.20 s of speech, 5 words (alto on scripted); first audio after "
                  + "13 ms, ")
          .endsWith("x real time\n")
          .hasLineCount(1);
    }
    // The stand-in has no break tags: it speaks the tag's two halves as words.
    assertThat(ExternalTools.run("soxi", "-r", wav.toString()).strip()).isEqualTo("24000");
    assertThat(ExternalTools.run("soxi", "-c", wav.toString()).strip()).isEqualTo("1");
    assertThat(ExternalTools.run("soxi", "-b", wav.toString()).strip()).isEqualTo("16");
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip())
        .isEqualTo(Integer.toString(5 * WORD_SAMPLES));
    assertThat(Double.parseDouble(ExternalTools.run("soxi", "-D", wav.toString()).strip()))
        .isCloseTo(1.2, within(1e-9));
    assertThat(Files.readAllBytes(wav)).endsWith(pcm(5)).hasSize(44 + 5 * WORD_SAMPLES * 2);
    SynthesizeRequest sent = speech.requests.get(0);
    assertThat(sent.getOutputFormat().getEncoding()).isEqualTo(Encoding.PCM_S16LE);
    assertThat(sent.getOutputFormat().getSampleRateHz()).isEqualTo(24000);
    assertThat(sent.hasSeed()).isFalse();
    assertThat(sent.hasTemperature()).isFalse();
    assertThat(sent.getVoice()).isEmpty();
  }

  @Test
  void anOpusFileIsTheServersOggOpusAndDecodesToTheRightLength(@TempDir Path dir) throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    ExternalTools.require("soxi", "sox");
    ScriptedSpeech speech = new ScriptedSpeech();
    Path opus = dir.resolve("hello.opus");
    try (FakeParleyServer server = FakeParleyServer.speaking(speech)) {
      Run r = run("speak", "--server", server.target(), "Hello world", "-o", opus.toString());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.err()).startsWith("wrote " + opus + ": 0.48 s of speech, 2 words");
    }
    assertThat(speech.requests.get(0).getOutputFormat().getEncoding()).isEqualTo(Encoding.OGG_OPUS);
    assertThat(ExternalTools.run("opusinfo", opus.toString())).contains("Opus");
    Path decoded = dir.resolve("decoded.wav");
    ExternalTools.run("opusdec", "--quiet", "--rate", "24000", opus.toString(), decoded.toString());
    assertThat(ExternalTools.run("soxi", "-s", decoded.toString()).strip())
        .isEqualTo(Integer.toString(2 * WORD_SAMPLES));
  }

  @Test
  void rawIsJustTheSamples(@TempDir Path dir) throws Exception {
    Path raw = dir.resolve("hello.bin");
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech())) {
      Run r =
          run(
              "speak",
              "--server",
              server.target(),
              "--format",
              "raw",
              "-q",
              "one two three",
              "-o",
              raw.toString());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.err()).isEmpty();
      assertThat(r.out()).isEmpty();
    }
    assertThat(Files.readAllBytes(raw)).isEqualTo(pcm(3));
  }

  @Test
  void voiceAndSamplingFlagsAndDialogueTurnsReachTheServer(@TempDir Path dir) throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    try (FakeParleyServer server = FakeParleyServer.speaking(speech)) {
      Path a = dir.resolve("a.wav");
      Run r =
          run(
              "speak",
              "--server",
              server.target(),
              "--voice",
              "bass",
              "--seed",
              "7",
              "--temperature",
              "0.5",
              "--cfg",
              "1.5",
              "Hi.",
              "-o",
              a.toString());
      assertThat(r.status()).as(r.err()).isZero();
      Run greedy =
          run("speak", "--server", server.target(), "--greedy", "-q", "Hi.", "--out", a.toString());
      assertThat(greedy.status()).as(greedy.err()).isZero();
      Run dialogue =
          run(
              "speak",
              "--server",
              server.target(),
              "--voice",
              "alto",
              "--voice",
              "bass",
              "How are you?",
              "Fine.",
              "-o",
              a.toString());
      assertThat(dialogue.status()).as(dialogue.err()).isZero();
      assertThat(dialogue.err()).contains("4 words (alto, bass on scripted)");
    }
    SynthesizeRequest first = speech.requests.get(0);
    assertThat(first.getText()).isEqualTo("Hi.");
    assertThat(first.getVoice()).isEqualTo("bass");
    assertThat(first.getSeed()).isEqualTo(7);
    assertThat(first.getTemperature()).isEqualTo(0.5f);
    assertThat(first.getCfgCoef()).isEqualTo(1.5f);
    assertThat(speech.requests.get(1).hasTemperature()).isTrue();
    assertThat(speech.requests.get(1).getTemperature()).isZero();
    SynthesizeRequest turns = speech.requests.get(2);
    assertThat(turns.getText()).isEmpty();
    assertThat(turns.getTurnsList()).containsExactly("How are you?", "Fine.");
    assertThat(turns.getVoicesList()).containsExactly("alto", "bass");
  }

  @Test
  void stdinLinesAreStreamedAsTheyArriveAndSpokenBeforeTheInputEnds(@TempDir Path dir)
      throws Exception {
    ExternalTools.require("soxi", "sox");
    ScriptedSpeech speech = new ScriptedSpeech();
    Path wav = dir.resolve("llm.wav");
    PipedOutputStream llm = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(llm);
    try (FakeParleyServer server = FakeParleyServer.speaking(speech)) {
      CompletableFuture<Run> cli =
          CompletableFuture.supplyAsync(
              () ->
                  run(
                      stdin,
                      "speak",
                      "--server",
                      server.target(),
                      "--voice",
                      "bass",
                      "-",
                      "-o",
                      wav.toString(),
                      "--timings"));
      llm.write("Hello there\n".getBytes(StandardCharsets.UTF_8));
      llm.flush();
      // The first line is sent, spoken and written while stdin is still open.
      waitFor(() -> speech.pieces.contains("Hello there\n"), "the first line at the server");
      waitFor(() -> size(wav) >= 44 + 2L * 2 * WORD_SAMPLES, "the first line's audio in the file");
      assertThat(cli).isNotDone();
      llm.write("\n   \ngeneral Kéno".getBytes(StandardCharsets.UTF_8));
      llm.write("bi\nthe last line has no newline".getBytes(StandardCharsets.UTF_8));
      llm.close();
      Run r = cli.get(20, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out().lines().map(l -> l.split("\t")[2]).toList())
          .containsExactly(
              "Hello", "there", "general", "Kénobi", "the", "last", "line", "has", "no", "newline");
      assertThat(r.err())
          .startsWith("wrote " + wav + ": 2.40 s of speech, 10 words (bass on scripted)");
    }
    // Blank lines are not sent; every line goes out with its newline, so its last word is complete.
    assertThat(speech.pieces)
        .containsExactly("Hello there\n", "general Kénobi\n", "the last line has no newline\n");
    assertThat(speech.requests.get(0).getVoice()).isEqualTo("bass");
    assertThat(speech.requests.get(0).getText()).isEmpty();
    assertThat(ExternalTools.run("soxi", "-s", wav.toString()).strip())
        .isEqualTo(Integer.toString(10 * WORD_SAMPLES));
    assertThat(Files.readAllBytes(wav)).endsWith(pcm(10));
  }

  @Test
  void aRefusedStreamEndsTheCommandAtOnceWhileStdinIsStillOpen(@TempDir Path dir) throws Exception {
    PipedOutputStream llm = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(llm);
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech())) {
      Run r =
          CompletableFuture.supplyAsync(
                  () ->
                      run(
                          stdin,
                          "speak",
                          "--server",
                          server.target(),
                          "--voice",
                          "nobody",
                          "-",
                          "-o",
                          dir.resolve("x.wav").toString()))
              .get(20, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(r.err())
          .contains(
              "the server answered INVALID_ARGUMENT: unknown voice 'nobody' (known: alto, bass)");
    } finally {
      llm.close();
    }
  }

  @Test
  void refusalsAndUsageErrorsSayWhatIsWrongAndFail(@TempDir Path dir) throws Exception {
    Path wav = dir.resolve("x.wav");
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech())) {
      Run unknown =
          run(
              "speak",
              "--server",
              server.target(),
              "--voice",
              "nobody",
              "Hello",
              "-o",
              wav.toString());
      assertThat(unknown.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(unknown.err()).contains("INVALID_ARGUMENT: unknown voice 'nobody'");
      assertThat(wav).as("a refused request leaves no file").doesNotExist();

      Run broken =
          run("speak", "--server", server.target(), "one two !fail three", "-o", wav.toString());
      assertThat(broken.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(broken.err())
          .isEqualTo(
              "parley: kept the 0.48 s of speech received before the failure in "
                  + wav
                  + "\n"
                  + "parley: the server answered INTERNAL: the model fell over\n");
      assertThat(Files.readAllBytes(wav)).hasSize(44 + 2 * 2 * WORD_SAMPLES).endsWith(pcm(2));
      Files.delete(wav);

      Run nothing = run("speak", "--server", server.target(), "Hello");
      assertThat(nothing.status()).isEqualTo(2);
      assertThat(nothing.err()).contains("nothing to do: give -o FILE");
      // One line that says what is missing and where help is, not fifty lines of usage.
      assertThat(nothing.err().lines())
          .containsExactly(
              "parley: nothing to do: give -o FILE to write the speech, --play to hear it, or both",
              "Try 'parley speak --help' for its options.");

      Run mixed = run("speak", "--server", server.target(), "-", "Hello", "-o", wav.toString());
      assertThat(mixed.status()).isEqualTo(2);
      assertThat(mixed.err()).contains("'-' (stdin) must be the only TEXT");

      Run voices =
          run(
              "speak",
              "--server",
              server.target(),
              "--voice",
              "alto",
              "--voice",
              "bass",
              "Hi",
              "-o",
              wav.toString());
      assertThat(voices.status()).isEqualTo(2);
      assertThat(voices.err()).contains("one per dialogue turn");

      Files.writeString(dir.resolve("file"), "not a folder");
      Run unwritable =
          run(
              "speak",
              "--server",
              server.target(),
              "Hello",
              "-o",
              dir.resolve("file/x.wav").toString());
      assertThat(unwritable.status()).isEqualTo(ParleyCli.EXIT_LOCAL_ERROR);
      assertThat(unwritable.err()).startsWith("parley: ");
    }
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r = run("speak", "--server", server.target(), "Hello", "-o", wav.toString());
      assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(r.err()).contains("UNIMPLEMENTED", "does not offer that service");
      Run v = run("voices", "--server", server.target());
      assertThat(v.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(v.err()).contains("UNIMPLEMENTED");
    }
  }

  @Test
  void voicesListsNamesSourcesTheDefaultAndMaxSpeakers() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.speaking(new ScriptedSpeech())) {
      Run r = run("voices", "--server", server.target());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out())
          .isEqualTo(
              """
          NAME  SOURCE   DEFAULT
          alto  builtin  *
          bass  builtin
          2 voices; default alto; dialogues of up to 2 speakers
          """);
      Run json = run("--server", server.target(), "voices", "--json");
      assertThat(json.status()).as(json.err()).isZero();
      JsonNode j = new ObjectMapper().readTree(json.out());
      assertThat(j.get("voices").toString())
          .isEqualTo(
              "[{\"name\":\"alto\",\"source\":\"builtin\",\"default\":true},"
                  + "{\"name\":\"bass\",\"source\":\"builtin\",\"default\":false}]");
      assertThat(j.get("default_voice").asText()).isEqualTo("alto");
      assertThat(j.get("max_speakers").asInt()).isEqualTo(2);
    }
  }

  @Test
  void helpDescribesSpeakAndVoices() {
    Run top = run("--help");
    assertThat(top.out()).contains("speak", "voices", "Speech.ListVoices", "speech\nsynthesis");
    Run speak = run("speak", "--help");
    assertThat(speak.status()).isZero();
    assertThat(speak.out())
        .contains(
            "TEXT|-",
            "-o, --out, --output=FILE",
            "--format",
            "--play",
            "--voice",
            "--seed",
            "--temperature",
            "--cfg",
            "--timings",
            "--server",
            "--api-key",
            "--tls",
            "line by line");
    Run voices = run("voices", "--help");
    assertThat(voices.out()).contains("--json", "--server");
  }

  @Test
  void wordsAreCountedAsTheServerCountsThemAndFormatsFollowTheExtension() {
    assertThat(SpeakCommand.countWords(List.of("Hello  there,\nworld. <break time=\"1.5s\"/> Bye")))
        .isEqualTo(4);
    assertThat(SpeakCommand.countWords(List.of("  ", "a b"))).isEqualTo(2);
    assertThat(SpeakCommand.formatOf(Path.of("x.WAV"))).isEqualTo(SpeakCommand.Format.wav);
    assertThat(SpeakCommand.formatOf(Path.of("x.ogg"))).isEqualTo(SpeakCommand.Format.ogg);
    assertThat(SpeakCommand.formatOf(Path.of("d/x.opus"))).isEqualTo(SpeakCommand.Format.ogg);
    assertThat(SpeakCommand.formatOf(Path.of("x.pcm"))).isEqualTo(SpeakCommand.Format.raw);
    assertThat(SpeakCommand.formatOf(Path.of("x"))).isEqualTo(SpeakCommand.Format.wav);
    assertThat(SpeakCommand.formatOf(null)).isEqualTo(SpeakCommand.Format.wav);
  }

  @Test
  void stdinWithoutTextIsRefusedAndLeavesNoFile(@TempDir Path dir) throws Exception {
    ScriptedSpeech speech = new ScriptedSpeech();
    Path wav = dir.resolve("empty.wav");
    try (FakeParleyServer server = FakeParleyServer.speaking(speech)) {
      Run r =
          run(
              new ByteArrayInputStream("\n  \n".getBytes(StandardCharsets.UTF_8)),
              "speak",
              "--server",
              server.target(),
              "-",
              "-o",
              wav.toString());
      assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(r.err()).contains("no text to speak");
    }
    assertThat(speech.pieces).isEmpty();
    assertThat(wav).doesNotExist();
  }
}
