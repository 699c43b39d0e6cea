package dev.parley.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.client.cli.ParleyCli;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.ParleyServer;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialoguePrompt;
import dev.parley.server.inference.OfflineDialogue;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.persona.PromptVoices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's {@code parley chat --prompt TEXT --voice NAME|FILE.wav} end to end against a real
 * server on loopback serving the tiny PersonaPlex model. Over gRPC (lossless 16-bit PCM both ways)
 * the reply must be what one offline engine session with the same prompt gives for the same audio;
 * over {@code /api/chat} (Opus) a prompted reply must differ from an unprompted one.
 */
class ChatPromptCliTest {
  static final String KEY = "chat-key";
  static final String ROLE = "You are a calm robot.";
  static final int FRAMES = 12;

  @TempDir static Path dir;
  static SpeechModel model;
  static ParleyServer server;
  static Path userWav;
  static Path voiceWav;
  static float[] user;

  @BeforeAll
  static void start() throws Exception {
    model = PersonaPlexTiny.load(dir);
    Path voices = Files.createDirectories(dir.resolve("voices"));
    voiceWav = voices.resolve("golden.wav");
    WavWriter.writeMono(voiceWav, PersonaPlexTiny.voice(), 24000, WavEncoding.PCM_S16);
    // 16-bit, so what the CLI sends as PCM_S16LE is exactly what the file holds.
    userWav = dir.resolve("user.wav");
    WavWriter.writeMono(userWav, PersonaPlexTiny.userAudio(FRAMES), 24000, WavEncoding.PCM_S16);
    user = WavReader.read(userWav).samples();
    server = PersonaPlexTiny.serve(model, KEY);
    server.engine().usePromptVoices(PromptVoices.in(voices));
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  record Run(int status, String out, String err) {}

  static Run parley(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of(
            "--server", "127.0.0.1:" + server.grpcPort(),
            "--api-key", KEY,
            "--ws-url", "ws://127.0.0.1:" + server.port() + "/api/chat"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        ParleyCli.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  /**
   * {@code parley chat --in user.wav --out NAME.wav --fast --tail 0 --greedy} plus {@code extra}.
   */
  static float[] chat(String name, String... extra) throws Exception {
    Path out = dir.resolve(name + ".wav");
    List<String> args =
        new ArrayList<>(
            List.of(
                "chat",
                "--in",
                userWav.toString(),
                "--out",
                out.toString(),
                "--fast",
                "--tail",
                "0",
                "--greedy"));
    args.addAll(List.of(extra));
    Run r = parley(args.toArray(String[]::new));
    assertThat(r.status()).as("chat %s: %s", name, r.err()).isZero();
    return WavReader.read(out).samples();
  }

  /** One offline session of its own engine with {@code prompt}: the served session's truth. */
  static float[] offline(DialoguePrompt prompt) throws Exception {
    try (DialogueEngine engine = OfflineDialogue.engine(model)) {
      float[] pcm =
          OfflineDialogue.run(engine, DialogueOptions.greedy().withPrompt(prompt), user).pcm();
      // As it reaches the reply file: 16-bit on the wire.
      float[] s16 = new float[pcm.length];
      for (int i = 0; i < pcm.length; i++) {
        s16[i] = Pcm.s16ToFloat(Pcm.floatToS16(pcm[i]));
      }
      return s16;
    }
  }

  static void assertWithinOneLsb(float[] actual, float[] expected) {
    assertThat(actual.length).as("samples").isEqualTo(expected.length);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    assertThat(worst).as("largest difference").isLessThanOrEqualTo(1.0 / 32768);
  }

  @Test
  void overGrpcTheReplyIsThePromptedSessionsByNameAndByFile() throws Exception {
    float[] plain = chat("plain");
    assertWithinOneLsb(plain, offline(null));
    float[] truth = offline(new DialoguePrompt(ROLE, WavReader.read(voiceWav).samples(), "golden"));
    float[] byName = chat("by_name", "--prompt", ROLE, "--voice", "golden");
    assertWithinOneLsb(byName, truth);
    float[] byFile = chat("by_file", "--prompt", ROLE, "--voice", voiceWav.toString());
    assertWithinOneLsb(byFile, truth);
    // The prompt fills the delays: all 12 frames come back, not 10, and they sound different.
    assertThat(byName.length).isEqualTo(FRAMES * 1920);
    assertThat(Arrays.mismatch(Arrays.copyOf(byName, plain.length), plain)).isNotEqualTo(-1);
  }

  @Test
  void overApiChatAPromptedReplyDiffersFromAnUnpromptedOne() throws Exception {
    float[] plain = chat("ws_plain", "--transport", "ws");
    float[] prompted =
        chat("ws_prompted", "--transport", "ws", "--prompt", ROLE, "--voice", "golden");
    int n = Math.min(plain.length, prompted.length);
    assertThat(n).isGreaterThan(0);
    assertThat(Arrays.mismatch(Arrays.copyOf(prompted, n), Arrays.copyOf(plain, n)))
        .isNotEqualTo(-1);
  }

  @Test
  void anUnknownVoiceIsAClearErrorAndANonZeroExit() throws Exception {
    String[] base = {"chat", "--in", userWav.toString(), "--fast", "--tail", "0", "--greedy"};
    Run grpc = parley(concat(base, "--voice", "nobody"));
    assertThat(grpc.status()).isNotZero();
    assertThat(grpc.err()).contains("INVALID_ARGUMENT").contains("unknown voice prompt 'nobody'");
    Run ws = parley(concat(base, "--transport", "ws", "--voice", "nobody"));
    assertThat(ws.status()).isNotZero();
    assertThat(ws.err()).contains("400").contains("unknown voice prompt 'nobody'");
    Run wsFile = parley(concat(base, "--transport", "ws", "--voice", voiceWav.toString()));
    assertThat(wsFile.status()).isNotZero();
    assertThat(wsFile.err()).contains("--voice FILE.wav needs --transport grpc");
  }

  static String[] concat(String[] a, String... b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
