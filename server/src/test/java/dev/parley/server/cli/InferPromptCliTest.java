package dev.parley.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.codec.mimi.MimiModel;
import dev.parley.codec.mimi.MimiStreams;
import dev.parley.codec.nn.ExecMask;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.tensor.SafeTensorsWriter;
import dev.parley.codec.testing.Golden;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.codec.wav.WavWriter;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import dev.parley.server.text.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code infer --prompt --voice} on the tiny golden PersonaPlex checkpoint. The truth is the golden
 * {@code lm generate} path (which reproduces the reference's prompt steps and conversation from
 * codes) fed with the reference's own prompt inputs — its loudness-normalised voice and its token
 * ids for the role prompt — and this Mimi's codes of the audio; its output decoded by a fresh
 * streaming Mimi is what {@code infer} must write.
 */
class InferPromptCliTest {
  static final int FRAMES = 12;
  static final String ROLE = "You are a calm robot.";
  static final int AUDIO = 8;

  @TempDir static Path dir;
  static SpeechModel model;
  static Path checkpoint;
  static Path userWav;
  static Path voices;
  static Path voiceWav;

  @BeforeAll
  static void setUp() throws Exception {
    model = PersonaPlexTiny.load(dir.resolve("loaded"));
    checkpoint = PersonaPlexTiny.checkpoint(dir.resolve("ckpt"));
    userWav = dir.resolve("user.wav");
    WavWriter.writeMono(userWav, PersonaPlexTiny.userAudio(FRAMES), 24000, WavEncoding.FLOAT32);
    voices = Files.createDirectories(dir.resolve("voices"));
    voiceWav = voices.resolve("golden.wav");
    WavWriter.writeMono(voiceWav, PersonaPlexTiny.voice(), 24000, WavEncoding.FLOAT32);
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      CommandLine cli = ParleyMain.commandLine();
      cli.setErr(new PrintWriter(err, true));
      int code = cli.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(original);
    }
  }

  /** {@code infer --greedy} on the user audio with {@code extra} options; the output audio. */
  static float[] infer(String name, String... extra) throws Exception {
    Path out = dir.resolve(name + ".wav");
    List<String> args =
        new ArrayList<>(List.of("infer", "--model", checkpoint.toString(), "--greedy"));
    args.addAll(List.of(extra));
    args.addAll(List.of(userWav.toString(), out.toString()));
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as("infer %s: %s", name, r.err()).isZero();
    return WavReader.read(out).samples();
  }

  /** Streaming Mimi codes of {@code pcm} (zero-padded to whole frames) from a fresh state. */
  static long[] encode(float[] pcm) {
    MimiModel mimi = model.mimi();
    int n = mimi.frameSize();
    int frames = (pcm.length + n - 1) / n;
    long[] codes = new long[AUDIO * frames]; // [8, frames]
    try (MimiStreams s = mimi.newStreams(model.manager(), 1)) {
      for (int f = 0; f < frames; f++) {
        float[] frame = Arrays.copyOfRange(pcm, f * n, f * n + n);
        long[] c = mimi.encodeFrame(new float[][] {frame}, s, ExecMask.all(1))[0];
        for (int q = 0; q < AUDIO; q++) {
          codes[q * frames + f] = c[q];
        }
      }
    }
    return codes;
  }

  /** The golden LM path's conversation, [17, n] as n frames of 17 tokens. */
  static List<long[]> reference(boolean prompted) throws Exception {
    Path user = dir.resolve("user_codes.safetensors");
    new SafeTensorsWriter()
        .putLongs(
            "user_codes", new long[] {1, AUDIO, FRAMES}, encode(PersonaPlexTiny.userAudio(FRAMES)))
        .write(user);
    List<String> args = PersonaPlexCliTest.generateArgs(user + ":user_codes");
    if (prompted) {
      Path prompt = dir.resolve("prompt.safetensors");
      try (SafeTensorsFile gen = Golden.open("personaplex_tiny.gen.safetensors")) {
        // The voice as the reference normalised it: its own gain to -24 LUFS.
        float[] voice = gen.floats("voice_pcm_raw");
        float gain = gen.floats("voice_gain")[0];
        for (int i = 0; i < voice.length; i++) {
          voice[i] *= gain;
        }
        long[] ids = gen.longs("text_prompt_ids"); // the reference's ids of the wrapped ROLE
        int frames = (voice.length + 1919) / 1920;
        new SafeTensorsWriter()
            .putLongs("voice_codes", new long[] {1, AUDIO, frames}, encode(voice))
            .putLongs("text_prompt_ids", new long[] {ids.length}, ids)
            .write(prompt);
      }
      args.addAll(List.of("--prompt", prompt.toString()));
    }
    Path out = dir.resolve(prompted ? "ref_prompted.safetensors" : "ref_plain.safetensors");
    args.add(out.toString());
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
      long[] t = f.longs("conv_output_tokens");
      int n = (int) f.info("conv_output_tokens").shape()[2];
      List<long[]> frames = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        long[] frame = new long[17];
        for (int k = 0; k < 17; k++) {
          frame[k] = t[k * n + j];
        }
        frames.add(frame);
      }
      return frames;
    }
  }

  /** The agent's audio (tokens 1..8) of each frame through a fresh streaming Mimi decoder. */
  static float[] decode(List<long[]> frames) {
    MimiModel mimi = model.mimi();
    float[] pcm = new float[frames.size() * mimi.frameSize()];
    try (MimiStreams s = mimi.newStreams(model.manager(), 1)) {
      for (int j = 0; j < frames.size(); j++) {
        long[] agent = Arrays.copyOfRange(frames.get(j), 1, 1 + AUDIO);
        float[] p = mimi.decodeFrame(new long[][] {agent}, s, ExecMask.all(1))[0];
        System.arraycopy(p, 0, pcm, j * mimi.frameSize(), p.length);
      }
    }
    return pcm;
  }

  /** Equal sample for sample (the first difference named, not two whole arrays printed). */
  static void assertSameAudio(float[] actual, float[] expected) {
    assertThat(actual.length).as("samples").isEqualTo(expected.length);
    int first = Arrays.mismatch(actual, expected);
    assertThat(first).as("first differing sample").isEqualTo(-1);
  }

  static String printed(List<long[]> frames) {
    TextTokenizer tok = model.tokenizer();
    StringBuilder b = new StringBuilder();
    for (long[] f : frames) {
      int t = (int) f[0];
      if (t < tok.vocabSize() && tok.isPrintedInDialogue(t) && !tok.isControl(t)) {
        b.append(tok.textOf(t));
      }
    }
    return b.toString().strip();
  }

  @Test
  void aPromptedRunIsTheReferencePromptThenTheConversation() throws Exception {
    List<long[]> ref = reference(true);
    assertThat(ref).hasSize(FRAMES);
    Path text = dir.resolve("prompted.txt");
    float[] byFile =
        infer(
            "prompted",
            "--prompt",
            ROLE,
            "--voice",
            voiceWav.toString(),
            "--text-out",
            text.toString());
    assertSameAudio(byFile, decode(ref));
    assertThat(Files.readString(text).strip()).isEqualTo(printed(ref));
    // The same voice by name from a folder, as `serve --prompt-voices` offers it.
    float[] byName =
        infer(
            "prompted_by_name",
            "--prompt",
            ROLE,
            "--voice",
            "golden",
            "--prompt-voices",
            voices.toString());
    assertSameAudio(byName, byFile);
  }

  @Test
  void anUnpromptedRunHearsTheUserAndDiffersFromAPromptedOne() throws Exception {
    // Without a prompt the conversation starts at step 0: its first 2 frames fill the delays.
    List<long[]> ref = reference(false);
    assertThat(ref).hasSize(FRAMES - 2);
    float[] plain = infer("plain");
    assertSameAudio(plain, decode(ref));
    float[] prompted = infer("prompted_voice_only", "--voice", voiceWav.toString());
    assertThat(prompted.length).isGreaterThan(plain.length);
    assertThat(Arrays.mismatch(Arrays.copyOf(prompted, plain.length), plain)).isNotEqualTo(-1);
  }

  @Test
  void aMoshiModelTakesATextPromptAsAnExperiment() throws Exception {
    Path out = dir.resolve("moshi_prompted.wav");
    Run moshi =
        run("infer", "--model", "demo", "--prompt", ROLE, userWav.toString(), out.toString());
    assertThat(moshi.code()).as(moshi.err()).isZero();
    Path plainOut = dir.resolve("moshi_plain.wav");
    Run plain = run("infer", "--model", "demo", userWav.toString(), plainOut.toString());
    assertThat(plain.code()).as(plain.err()).isZero();
    float[] prompted = WavReader.read(out).samples();
    float[] unprompted = WavReader.read(plainOut).samples();
    int n = Math.min(prompted.length, unprompted.length);
    assertThat(n).isPositive();
    assertThat(Arrays.copyOf(prompted, n)).isNotEqualTo(Arrays.copyOf(unprompted, n));
  }

  @Test
  void badPromptsAreClearErrors() throws Exception {
    Path out = dir.resolve("never.wav");

    Run unknown =
        run(
            "infer",
            "--model",
            checkpoint.toString(),
            "--voice",
            "nobody",
            "--prompt-voices",
            voices.toString(),
            userWav.toString(),
            out.toString());
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("unknown voice prompt 'nobody'").contains("golden");

    Path text = Files.writeString(dir.resolve("notes.wav"), "not audio at all");
    Run notAudio =
        run(
            "infer",
            "--model",
            checkpoint.toString(),
            "--voice",
            text.toString(),
            userWav.toString(),
            out.toString());
    assertThat(notAudio.code()).isNotZero();
    assertThat(notAudio.err()).contains("not a readable WAV");

    Path longVoice = dir.resolve("long.wav");
    WavWriter.writeMono(longVoice, new float[31 * 16000], 16000, WavEncoding.PCM_S16);
    Run tooLong =
        run(
            "infer",
            "--model",
            checkpoint.toString(),
            "--voice",
            longVoice.toString(),
            userWav.toString(),
            out.toString());
    assertThat(tooLong.code()).isNotZero();
    assertThat(tooLong.err()).contains("voice prompt too long");

    Run stt = run("infer", "--model", "demo-stt", "--prompt", ROLE, userWav.toString());
    assertThat(stt.code()).isNotZero();
    assertThat(stt.err()).contains("--prompt and --voice are for dialogue models");
    assertThat(out).doesNotExist();
  }
}
