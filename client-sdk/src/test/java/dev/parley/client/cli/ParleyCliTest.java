package dev.parley.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.client.testing.FakeParleyServer;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.proto.v1.ModelInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The parley command line, against a loopback gRPC server where one is needed. */
class ParleyCliTest {

  /** What one command line printed and returned. */
  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = ParleyCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void helpListsTheCommandsAndGlobalOptions() {
    Run r = run("--help");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .contains(
            "chat", "bench", "models", "transcribe", "speak", "--server", "--api-key", "--tls");
    Run transcribe = run("transcribe", "--help");
    assertThat(transcribe.status()).isZero();
    assertThat(transcribe.out())
        .contains(
            "FILE|-",
            "--format",
            "-o, --output",
            "--realtime",
            "--vad",
            "--pause-every",
            "--stdin-rate",
            "UNIMPLEMENTED");
    Run chat = run("chat", "--help");
    assertThat(chat.status()).isZero();
    assertThat(chat.out())
        .contains(
            "--in",
            "--out",
            "--fast",
            "--transport",
            "--ws-url",
            "--text-temperature",
            "--audio-temperature",
            "--seed",
            "--greedy",
            "--server");
  }

  @Test
  void globalOptionsWorkBeforeOrAfterTheSubcommandAndSamplingFlagsParse() {
    ParleyCli top = new ParleyCli();
    CommandLine.ParseResult p =
        new CommandLine(top)
            .parseArgs(
                "chat",
                "--server",
                "h:1",
                "--api-key",
                "k",
                "--greedy",
                "--seed",
                "9",
                "--transport",
                "ws",
                "--in",
                "a.wav");
    ChatCommand chat = (ChatCommand) p.subcommand().commandSpec().userObject();
    assertThat(top.server).isEqualTo("h:1");
    assertThat(top.apiKey).isEqualTo("k");
    assertThat(chat.sampling.greedy).isTrue();
    assertThat(chat.sampling.seed).isEqualTo(9L);
    assertThat(chat.transport).isEqualTo(Transport.ws);
    assertThat(chat.in).isEqualTo(Path.of("a.wav"));

    ParleyCli top2 = new ParleyCli();
    new CommandLine(top2).parseArgs("--server", "g:2", "--tls", "models");
    assertThat(top2.server).isEqualTo("g:2");
    assertThat(top2.tls).isTrue();
    assertThat(new ParleyCli().server).isNull(); // defaults come from picocli, not the field
    assertThat(run("chat", "--transport", "carrier-pigeon").status())
        .isEqualTo(2); // picocli's usage error
  }

  @Test
  void modelsJsonIsOneObjectWithTheServersModels() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r = run("models", "--json", "--server", server.target());
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out().strip().lines()).hasSize(1);
      JsonNode models = new ObjectMapper().readTree(r.out()).get("models");
      assertThat(models).hasSize(FakeParleyServer.Models.MODELS.size());
      for (int i = 0; i < models.size(); i++) {
        ModelInfo m = FakeParleyServer.Models.MODELS.get(i);
        JsonNode j = models.get(i);
        assertThat(j.get("name").asText()).isEqualTo(m.getName());
        assertThat(j.get("type").asText()).isEqualTo(m.getType().name());
        assertThat(j.get("sample_rate_hz").asInt()).isEqualTo(m.getSampleRateHz());
        assertThat(j.get("frame_rate_hz").asDouble()).isEqualTo(m.getFrameRateHz());
        assertThat(j.get("device").asText()).isEqualTo(m.getDevice());
        assertThat(j.get("max_sessions").asInt()).isEqualTo(m.getMaxSessions());
        assertThat(j.get("active_sessions").asInt()).isEqualTo(m.getActiveSessions());
      }
    }
  }

  @Test
  void modelsTableHasAHeaderAndOneRowPerModel() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r = run("--server", server.target(), "models");
      assertThat(r.status()).as(r.err()).isZero();
      var lines = r.out().lines().toList();
      assertThat(lines).hasSize(1 + FakeParleyServer.Models.MODELS.size());
      assertThat(lines.get(0)).startsWith("NAME").contains("TYPE", "DEVICE", "SESSIONS");
      assertThat(lines.get(1)).startsWith("demo").contains("DIALOGUE", "cpu()", "1/8");
      assertThat(lines.get(2)).startsWith("kyutai/stt-1b-en_fr").contains("TRANSCRIPTION");
    }
  }

  @Test
  void chatFromAFileThroughAnEchoServerWritesTheSameAudioBack(@TempDir Path dir) throws Exception {
    ExternalTools.require("sox", "sox");
    // 1.5 s at 44.1 kHz: the CLI resamples to 24 kHz, the echo returns it, the CLI writes it.
    Path in = dir.resolve("in.wav");
    float[] x = new float[66150];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.4 * Math.sin(2 * Math.PI * 523.25 * i / 44100.0));
    }
    WavWriter.writeMono(in, x, 44100, WavEncoding.PCM_S16);
    Path out = dir.resolve("reply.wav");
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r =
          run(
              "chat",
              "--server",
              server.target(),
              "--in",
              in.toString(),
              "--out",
              out.toString(),
              "--fast");
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(r.out()).contains(" w0 w1"); // the echo's text, streamed to stdout
      assertThat(r.err()).contains("0 deadline misses", "listened").doesNotContain("warning");
    }
    WavAudio reply = WavReader.read(out);
    assertThat(reply.sampleRate()).isEqualTo(24000);
    // After the file the CLI listens on, sending silence, until the echo has been quiet for 2 s
    // (--quiet's default); with --fast it may send a little more before it sees that.
    assertThat(reply.durationSeconds()).isBetween(1.5 + 2, 1.5 + 20.0);
    for (int i = 36000 + 480; i < reply.samples().length; i++) {
      assertThat(Math.abs(reply.samples()[i])).as("the tail, sample %d", i).isLessThan(1e-3f);
    }
    // Independent reference: sox's own resampling of the same file.
    Path soxOut = dir.resolve("sox.wav");
    ExternalTools.run(
        "sox",
        in.toString(),
        "-e",
        "floating-point",
        "-b",
        "32",
        soxOut.toString(),
        "rate",
        "-v",
        "24000");
    float[] ref = WavReader.read(soxOut).samples();
    double maxDiff = 0;
    for (int i = 200; i < Math.min(ref.length, reply.samples().length) - 200; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ref[i] - reply.samples()[i]));
    }
    assertThat(maxDiff).isLessThan(2e-3);
  }

  @Test
  void chatStreamsInRealTimeUnlessFast(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("in.wav");
    WavWriter.writeMono(
        in, new float[24000 * 8 / 10], 24000, WavEncoding.PCM_S16); // 0.8 s of silence
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      long t0 = System.nanoTime();
      Run r = run("chat", "--server", server.target(), "--in", in.toString());
      double elapsed = (System.nanoTime() - t0) / 1e9;
      assertThat(r.status()).as(r.err()).isZero();
      assertThat(elapsed).isGreaterThan(0.7); // 10 frames, one per 80 ms
      // No --out: the voice would be dropped without a word, so the CLI says so.
      assertThat(r.err()).contains("warning: without --out the model's voice is not kept");
    }
  }

  @Test
  void benchJsonReportsLatenciesFramesAndMisses() throws Exception {
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run r =
          run(
              "bench",
              "--server",
              server.target(),
              "--sessions",
              "2",
              "--seconds",
              "1",
              "--warmup-seconds",
              "0.4",
              "--json",
              "--no-progress");
      assertThat(r.status()).as(r.err()).isZero();
      JsonNode j = new ObjectMapper().readTree(r.out());
      assertThat(j.get("sessions").asInt()).isEqualTo(2);
      // 1.4 s streamed: 18 frames per session, of which the first 5 (0.4 s) are warm-up.
      assertThat(j.get("frames_in").asLong()).isEqualTo(2 * 18);
      assertThat(j.get("frames_out").asLong()).isEqualTo(2 * 18); // the echo answers every frame
      assertThat(j.get("end_frames").asLong()).isEqualTo(2 * 18);
      assertThat(j.get("end_input_frames").asLong()).isEqualTo(2 * 18);
      assertThat(j.get("deadline_misses").asLong()).isZero();
      assertThat(j.get("deadline_misses_with_warmup").asLong()).isZero();
      assertThat(j.get("server_latency_ms").get("count").asInt()).isEqualTo(26);
      // The stand-in reports 5, 6 or 7 ms.
      assertThat(j.get("server_latency_ms").get("p50").asDouble()).isBetween(5.0, 7.0);
      assertThat(j.get("client_latency_ms").get("count").asInt()).isEqualTo(26);
      assertThat(j.get("client_latency_ms").get("p50").asDouble())
          .isBetween(0.0, 80.0); // loopback echo
      assertThat(j.get("errors")).isEmpty();
    }
  }

  @Test
  void transcribeAndSpeakSayWhenTheServerHasNoModelForThem(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("in.wav");
    WavWriter.writeMono(in, new float[2400], 24000, WavEncoding.PCM_S16);
    try (FakeParleyServer server = FakeParleyServer.echo()) {
      Run t = run("transcribe", "--server", server.target(), in.toString());
      assertThat(t.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(t.err()).contains("UNIMPLEMENTED", "does not offer that service");
      Run s =
          run(
              "speak",
              "--server",
              server.target(),
              "hello",
              "--out",
              dir.resolve("s.wav").toString());
      assertThat(s.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
      assertThat(s.err()).contains("UNIMPLEMENTED", "does not offer that service");
      assertThat(dir.resolve("s.wav")).doesNotExist();
    }
  }

  @Test
  void anUnreachableServerIsReportedNotThrown() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run("models", "--server", "127.0.0.1:" + port);
    assertThat(r.status()).isEqualTo(ParleyCli.EXIT_SERVER_ERROR);
    assertThat(r.err()).contains("no Parley server at 127.0.0.1:" + port, "--server HOST:PORT");
  }

  @Test
  void aMissingInputFileIsNamedAsSuch(@TempDir Path dir) {
    Path nosuch = dir.resolve("nosuch.wav");
    for (String[] args :
        new String[][] {
          {"transcribe", nosuch.toString()}, {"chat", "--in", nosuch.toString(), "--out", "r.wav"}
        }) {
      Run r = run(args);
      assertThat(r.status()).as(r.err()).isEqualTo(ParleyCli.EXIT_LOCAL_ERROR);
      assertThat(r.err()).contains("parley: no such file: " + nosuch);
    }
  }
}
