package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.Voice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Text to speech over HTTP on a real server (loopback, the built-in {@code demo-tts} model, greedy
 * so runs repeat exactly): moshi-server's {@code /api/tts_streaming} WebSocket in its four output
 * formats, {@code POST /api/tts}, bad input, and slots freed after abrupt disconnects. Messages are
 * built and read with msgpack-core directly (not the server's codec), Ogg streams are decoded by
 * the system's {@code opusdec} and WAV files checked against the RIFF layout and {@code soxi}.
 */
class TtsStreamingTest {
  static SynthesisModel model;
  static ParleyServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String SENTENCE = "hello this is a test of the speech server";
  static final List<String> WORDS = List.of(SENTENCE.split(" "));

  @BeforeAll
  static void start() throws Exception {
    model = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                null,
                null,
                model,
                ServerConfig.defaults()
                    .withHost("127.0.0.1")
                    .withPort(0)
                    .withGrpcPort(-1)
                    .withMaxSessions(4))
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    model.close();
  }

  // ---- a client that knows nothing of the server's codec --------------------------------------

  /**
   * One decoded MessagePack map: its fields, and the MessagePack format of each value (of an array:
   * its first element).
   */
  record Msg(Map<String, Object> fields, Map<String, MessageFormat> formats) {
    String type() {
      return (String) fields.get("type");
    }

    Object get(String k) {
      return fields.get(k);
    }
  }

  static Msg unpack(byte[] bytes) throws IOException {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      int n = u.unpackMapHeader();
      Map<String, Object> fields = new LinkedHashMap<>();
      Map<String, MessageFormat> formats = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String key = u.unpackString();
        MessageFormat f = u.getNextFormat();
        formats.put(key, f);
        switch (f.getValueType()) {
          case STRING -> fields.put(key, u.unpackString());
          case FLOAT -> fields.put(key, u.unpackDouble());
          case INTEGER -> fields.put(key, u.unpackLong());
          case BINARY -> fields.put(key, u.readPayload(u.unpackBinaryHeader()));
          case ARRAY -> {
            int len = u.unpackArrayHeader();
            double[] values = new double[len];
            for (int j = 0; j < len; j++) {
              MessageFormat ef = u.getNextFormat();
              if (j == 0) {
                formats.put(key, ef);
              }
              values[j] = ef.getValueType() == ValueType.FLOAT ? u.unpackDouble() : u.unpackLong();
            }
            fields.put(key, values);
          }
          default -> throw new AssertionError("unexpected " + f + " for " + key);
        }
      }
      assertThat(u.hasNext()).as("one map per message").isFalse();
      return new Msg(fields, formats);
    }
  }

  /** A client message as Kyutai's Python client packs it: {@code msgpack.packb({...})}. */
  static byte[] pack(Object... keyValues) throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packMapHeader(keyValues.length / 2);
      for (int i = 0; i < keyValues.length; i += 2) {
        p.packString((String) keyValues[i]);
        Object v = keyValues[i + 1];
        if (v instanceof String s) {
          p.packString(s);
        } else if (v instanceof float[] fs) {
          p.packArrayHeader(fs.length);
          for (float x : fs) {
            p.packDouble(x); // Python floats are doubles
          }
        } else if (v instanceof long[] ls) {
          p.packArrayHeader(ls.length);
          for (long x : ls) {
            p.packLong(x);
          }
        } else {
          throw new AssertionError(v);
        }
      }
      return p.toByteArray();
    }
  }

  static final class Client implements WebSocket.Listener {
    final List<byte[]> binary = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    volatile boolean reading = true;
    WebSocket socket;

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      partial.write(b, 0, b.length);
      if (last) {
        binary.add(partial.toByteArray());
        partial.reset();
      }
      if (reading) {
        ws.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      binary.add(("TEXT FRAME " + data).getBytes(StandardCharsets.UTF_8));
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closed.complete(status + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete("error " + error);
    }

    void send(byte[] message) {
      socket.sendBinary(ByteBuffer.wrap(message), true).join();
    }

    void text(String words) throws IOException {
      send(pack("type", "Text", "text", words));
    }

    void eos() throws IOException {
      send(pack("type", "Eos"));
    }

    String awaitClosed() throws Exception {
      return closed.get(60, TimeUnit.SECONDS);
    }

    List<Msg> messages() throws IOException {
      List<Msg> out = new ArrayList<>();
      for (byte[] b : binary) {
        out.add(unpack(b));
      }
      return out;
    }
  }

  static Client connect(String query) {
    Client c = new Client();
    c.socket =
        HTTP.newWebSocketBuilder()
            .buildAsync(
                URI.create(
                    "ws://127.0.0.1:"
                        + server.port()
                        + "/api/tts_streaming"
                        + (query.isEmpty() ? "" : "?" + query)),
                c)
            .join();
    return c;
  }

  /** Sends the sentence a word per message, then Eos; the messages up to the server's close. */
  static List<Msg> speak(String query, String sentence) throws Exception {
    Client c = connect(query);
    for (String w : sentence.split(" ")) {
      c.text(w);
    }
    c.eos();
    assertThat(c.awaitClosed()).startsWith("1000");
    return c.messages();
  }

  static float[] pcm(List<Msg> messages) {
    List<double[]> parts =
        messages.stream()
            .filter(m -> m.type().equals("Audio"))
            .map(m -> (double[]) m.get("pcm"))
            .toList();
    float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
    int at = 0;
    for (double[] p : parts) {
      for (double x : p) {
        all[at++] = (float) x;
      }
    }
    return all;
  }

  static List<Msg> ofType(List<Msg> messages, String type) {
    return messages.stream().filter(m -> m.type().equals(type)).toList();
  }

  static void waitFor(BooleanSupplier cond, long millis) throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (!cond.getAsBoolean() && System.currentTimeMillis() < end) {
      Thread.sleep(10);
    }
    assertThat(cond.getAsBoolean()).as("condition within " + millis + " ms").isTrue();
  }

  static void assertNoSessionLeft() throws InterruptedException {
    waitFor(() -> server.ttsEngine().activeSessions() == 0, 20_000);
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  // ---- (a) PcmMessagePack -----------------------------------------------------------------------

  @Test
  void pcmMessagePackSendsReadyThenTimedWordsAndWholeFrames() throws Exception {
    List<Msg> msgs = speak("format=PcmMessagePack", SENTENCE);
    assertThat(msgs.get(0).fields())
        .as("Ready first, a map of its type alone")
        .isEqualTo(Map.of("type", "Ready"));
    assertThat(ofType(msgs, "Error")).isEmpty();
    // rmp_serde's layout: "type" first, then the fields in declaration order; f64 times, f32
    // samples.
    List<Msg> words = ofType(msgs, "Text");
    for (Msg w : words) {
      assertThat(w.fields().keySet()).containsExactly("type", "text", "start_s", "stop_s");
      assertThat(w.formats().get("start_s")).isEqualTo(MessageFormat.FLOAT64);
      assertThat(w.formats().get("stop_s")).isEqualTo(MessageFormat.FLOAT64);
    }
    List<Msg> audio = ofType(msgs, "Audio");
    for (Msg a : audio) {
      assertThat(a.fields().keySet()).containsExactly("type", "pcm");
      assertThat(a.formats().get("pcm")).isEqualTo(MessageFormat.FLOAT32);
      assertThat((double[]) a.get("pcm")).hasSize(1920);
    }
    assertThat(msgs).hasSize(1 + words.size() + audio.size());
    assertThat(words).extracting(w -> (String) w.get("text")).containsExactlyElementsOf(WORDS);
    float[] pcm = pcm(msgs);
    assertThat(pcm.length).isPositive();
    assertThat(pcm.length % 1920).isZero();
    double seconds = pcm.length / 24000.0;
    double previousStart = -1;
    double previousStop = 0;
    for (Msg w : words) {
      double start = (double) w.get("start_s");
      double stop = (double) w.get("stop_s");
      assertThat(start).isGreaterThan(previousStart).isGreaterThanOrEqualTo(previousStop);
      assertThat(stop).isGreaterThanOrEqualTo(start).isLessThanOrEqualTo(seconds);
      previousStart = start;
      previousStop = stop;
    }
    for (float x : pcm) {
      assertThat(Math.abs(x)).isLessThanOrEqualTo(1f);
    }
    assertNoSessionLeft();
  }

  // ---- (b) OggOpus, OggOpusMessagePack and Pcm -------------------------------------------------

  @Test
  void oggOpusIsTheDefaultAndDecodesWithOpusdecToTheFramesSent(@TempDir Path dir) throws Exception {
    ExternalTools.require("opusdec", "opus-tools");
    float[] reference = pcm(speak("format=PcmMessagePack", SENTENCE));
    int frames = reference.length / 1920;

    // No format: OggOpus. Binary frames only: the header pages, a page per frame, the end-of-stream
    // page.
    Client c = connect("");
    for (String w : WORDS) {
      c.text(w);
    }
    c.eos();
    assertThat(c.awaitClosed()).startsWith("1000");
    List<byte[]> pages = c.binary;
    assertThat(pages).hasSize(1 + frames + 1);
    assertThat(new String(pages.get(0), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("OggS");
    assertThat(new String(pages.get(0), StandardCharsets.ISO_8859_1))
        .contains("OpusHead")
        .contains("OpusTags");
    for (byte[] p : pages) {
      assertThat(new String(p, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("OggS");
    }
    ByteArrayOutputStream ogg = new ByteArrayOutputStream();
    pages.forEach(ogg::writeBytes);
    float[] decoded = opusdec(dir, "default", ogg.toByteArray());
    assertThat(decoded.length).isEqualTo(frames * 1920);
    assertThat(rms(decoded))
        .isCloseTo(rms(reference), org.assertj.core.data.Percentage.withPercentage(50));

    // OggOpusMessagePack: Ready, the header, words, a page per frame, the end page; data as serde
    // writes Vec<u8>.
    List<Msg> msgs = speak("format=OggOpusMessagePack", SENTENCE);
    assertThat(msgs.get(0).type()).isEqualTo("Ready");
    assertThat(ofType(msgs, "Text"))
        .extracting(w -> (String) w.get("text"))
        .containsExactlyElementsOf(WORDS);
    List<Msg> oggMsgs = ofType(msgs, "OggOpus");
    assertThat(msgs.get(1).type()).isEqualTo("OggOpus");
    assertThat(oggMsgs).hasSize(1 + frames + 1);
    ByteArrayOutputStream ogg2 = new ByteArrayOutputStream();
    for (Msg m : oggMsgs) {
      assertThat(m.fields().keySet()).containsExactly("type", "data");
      assertThat(m.formats().get("data").getValueType()).isEqualTo(ValueType.INTEGER);
      for (double b : (double[]) m.get("data")) {
        assertThat(b).isBetween(0.0, 255.0);
        ogg2.write((int) b);
      }
    }
    assertThat(opusdec(dir, "msgpack", ogg2.toByteArray()).length).isEqualTo(frames * 1920);

    // Pcm: raw little-endian float 32, 1920 samples a frame, nothing else: the same samples.
    Client raw = connect("format=Pcm");
    for (String w : WORDS) {
      raw.text(w);
    }
    raw.eos();
    assertThat(raw.awaitClosed()).startsWith("1000");
    assertThat(raw.binary).hasSize(frames).allSatisfy(b -> assertThat(b).hasSize(1920 * 4));
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    raw.binary.forEach(all::writeBytes);
    float[] samples = new float[frames * 1920];
    ByteBuffer.wrap(all.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(samples);
    assertThat(maxAbsDiff(samples, reference)).isLessThan(1e-4);
    assertNoSessionLeft();
  }

  static float[] opusdec(Path dir, String name, byte[] ogg) throws Exception {
    Path opus = dir.resolve(name + ".opus");
    Files.write(opus, ogg);
    Path wav = dir.resolve(name + ".wav");
    ExternalTools.run("opusdec", "--rate", "24000", "--float", opus.toString(), wav.toString());
    return dev.parley.codec.wav.WavReader.read(wav).samples();
  }

  static double rms(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v * v;
    }
    return Math.sqrt(s / Math.max(1, x.length));
  }

  // ---- (c) text frames, "\0", voices -----------------------------------------------------------

  @Test
  void plainTextFramesAndTheZeroByteEndGiveTheSameSpeech() throws Exception {
    List<Msg> reference = speak("format=PcmMessagePack", SENTENCE);
    Client c = connect("format=PcmMessagePack");
    c.socket.sendText("hello this is", true).join();
    c.socket.sendText("  a test of  ", true).join();
    c.socket.sendText("the speech server", true).join();
    c.send(new byte[] {0});
    assertThat(c.awaitClosed()).startsWith("1000");
    List<Msg> msgs = c.messages();
    assertThat(ofType(msgs, "Text"))
        .extracting(w -> (String) w.get("text"))
        .containsExactlyElementsOf(WORDS);
    float[] pcm = pcm(msgs);
    assertThat(pcm).hasSameSizeAs(pcm(reference));
    assertThat(maxAbsDiff(pcm, pcm(reference))).isLessThan(1e-4);
    assertNoSessionLeft();
  }

  /** Audio straight from the engine, no transport. */
  static final class Direct implements TtsListener {
    final List<float[]> frames = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();

    @Override
    public void onAudio(float[] pcm) {
      frames.add(pcm.clone());
    }

    @Override
    public void onClosed(String reason) {
      closed.complete(reason == null ? "" : reason);
    }

    float[] pcm() throws Exception {
      assertThat(closed.get(60, TimeUnit.SECONDS)).isEmpty();
      float[] all = new float[frames.size() * 1920];
      for (int i = 0; i < frames.size(); i++) {
        System.arraycopy(frames.get(i), 0, all, i * 1920, 1920);
      }
      return all;
    }
  }

  @Test
  void aVoiceMessageSpeaksWithThoseEmbeddings() throws Exception {
    // moshi-server conditions on a client's embedding as one speaker (a named voice fills both
    // speaker slots), so the truth is the engine given the same embedding directly.
    Voice bass = server.ttsEngine().voices().get("demo-bass");
    Direct direct = new Direct();
    TtsSession session =
        server
            .ttsEngine()
            .open(
                TtsOptions.defaults()
                    .withCustomVoice(
                        Voice.fromClient(
                            bass.speakerWavs(),
                            new long[] {1, bass.dim(), bass.steps()},
                            bass.dim())),
                direct);
    for (String w : WORDS) {
      session.pushText(w + " ");
    }
    session.endOfText();
    float[] expected = direct.pcm();
    float[] alto = pcm(speak("format=PcmMessagePack", SENTENCE));

    Client c = connect("format=PcmMessagePack");
    c.send(
        pack(
            "type",
            "Voice",
            "embeddings",
            bass.speakerWavs(),
            "shape",
            new long[] {1, bass.dim(), bass.steps()}));
    for (String w : WORDS) {
      c.text(w);
    }
    c.eos();
    assertThat(c.awaitClosed()).startsWith("1000");
    List<Msg> msgs = c.messages();
    assertThat(ofType(msgs, "Ready")).hasSize(1);
    assertThat(msgs.get(0).type()).isEqualTo("Ready");
    assertThat(ofType(msgs, "Text"))
        .extracting(w -> (String) w.get("text"))
        .containsExactlyElementsOf(WORDS);
    float[] custom = pcm(msgs);
    assertThat(custom).hasSameSizeAs(expected);
    assertThat(maxAbsDiff(custom, expected)).isLessThan(1e-4);
    assertThat(custom.length != alto.length || maxAbsDiff(custom, alto) > 1e-3)
        .as("the voice matters")
        .isTrue();
    assertNoSessionLeft();
  }

  @Test
  void aVoiceOfTheWrongShapeOrAfterTheTextIsAnError() throws Exception {
    Client c = connect("format=PcmMessagePack");
    c.send(
        pack("type", "Voice", "embeddings", new float[16 * 10], "shape", new long[] {1, 16, 10}));
    assertThat(c.awaitClosed()).startsWith("1008");
    List<Msg> errors = ofType(c.messages(), "Error");
    assertThat(errors).hasSize(1);
    assertThat((String) errors.get(0).get("message")).contains("[1, 16, 10]").contains("32");

    Client late = connect("format=PcmMessagePack");
    late.text("hello");
    late.send(
        pack("type", "Voice", "embeddings", new float[32 * 10], "shape", new long[] {1, 32, 10}));
    assertThat(late.awaitClosed()).startsWith("1008");
    assertThat((String) ofType(late.messages(), "Error").get(0).get("message"))
        .contains("before the first text");
    assertNoSessionLeft();
  }

  // ---- (d) bad input, with a good session beside it --------------------------------------------

  @Test
  void badInputEndsOnlyItsOwnConnection() throws Exception {
    float[] reference = pcm(speak("format=PcmMessagePack", SENTENCE));
    Client good = connect("format=PcmMessagePack");
    good.text("hello this is a");

    Client malformed = connect("format=PcmMessagePack");
    malformed.send(new byte[] {(byte) 0xc1, 1, 2});
    assertThat(malformed.awaitClosed()).startsWith("1008");
    assertThat((String) ofType(malformed.messages(), "Error").get(0).get("message"))
        .contains("not a MessagePack map");

    Client unknownType = connect("format=PcmMessagePack");
    unknownType.send(pack("type", "Speak", "text", "hi"));
    assertThat(unknownType.awaitClosed()).startsWith("1008");
    assertThat((String) ofType(unknownType.messages(), "Error").get(0).get("message"))
        .contains("unknown message type 'Speak'");

    Client unknownVoice = connect("format=PcmMessagePack&voice=no-such-voice");
    assertThat(unknownVoice.awaitClosed()).startsWith("1008");
    List<Msg> uv = unknownVoice.messages();
    assertThat(uv).hasSize(1);
    assertThat((String) uv.get(0).get("message"))
        .contains("unknown voice 'no-such-voice'")
        .contains("demo-alto");

    Client empty = connect("format=PcmMessagePack");
    empty.eos();
    assertThat(empty.awaitClosed()).startsWith("1000");
    assertThat(empty.messages()).extracting(Msg::type).containsExactly("Ready");

    Client tooLong = connect("format=PcmMessagePack");
    tooLong.text("word ".repeat(10_001)); // 50 005 characters: past the engine's 50 000
    assertThat(tooLong.awaitClosed()).startsWith("1008");
    assertThat((String) ofType(tooLong.messages(), "Error").get(0).get("message"))
        .contains("longer than 50000");

    Client rawFormat = connect("format=Pcm");
    rawFormat.send(pack("type", "Text"));
    assertThat(rawFormat.awaitClosed())
        .as("no Error message in a raw format: the close says why")
        .isEqualTo("1008 Text message without its text field");
    assertThat(rawFormat.binary).isEmpty();

    CompletionException badFormat =
        org.junit.jupiter.api.Assertions.assertThrows(
            CompletionException.class, () -> connect("format=Wav"));
    assertThat(badFormat.getCause()).isInstanceOf(WebSocketHandshakeException.class);
    assertThat(((WebSocketHandshakeException) badFormat.getCause()).getResponse().statusCode())
        .isEqualTo(400);

    good.text("test of the speech server");
    good.eos();
    assertThat(good.awaitClosed()).startsWith("1000");
    List<Msg> msgs = good.messages();
    assertThat(ofType(msgs, "Error")).isEmpty();
    assertThat(ofType(msgs, "Text"))
        .extracting(w -> (String) w.get("text"))
        .containsExactlyElementsOf(WORDS);
    assertThat(pcm(msgs).length)
        .as("a paused stream may pad, never lose words")
        .isGreaterThanOrEqualTo(reference.length);
    assertNoSessionLeft();
  }

  // ---- (e) POST /api/tts
  // -------------------------------------------------------------------------

  static HttpResponse<byte[]> post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static int le32(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  static int le16(byte[] b, int at) {
    return ByteBuffer.wrap(b, at, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
  }

  /** Checks a 16-bit mono 24 kHz WAV (RIFF layout, and soxi); returns its sample count. */
  static int checkWav(byte[] wav, Path dir) throws Exception {
    assertThat(new String(wav, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
    assertThat(le32(wav, 4)).isEqualTo(wav.length - 8);
    assertThat(new String(wav, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("WAVEfmt ");
    assertThat(le16(wav, 20)).as("PCM").isEqualTo(1);
    assertThat(le16(wav, 22)).as("channels").isEqualTo(1);
    assertThat(le32(wav, 24)).as("sample rate").isEqualTo(24000);
    assertThat(le16(wav, 34)).as("bits").isEqualTo(16);
    assertThat(new String(wav, 36, 4, StandardCharsets.US_ASCII)).isEqualTo("data");
    int dataBytes = le32(wav, 40);
    assertThat(dataBytes).isEqualTo(wav.length - 44);
    int samples = dataBytes / 2;
    assertThat(samples).isPositive();
    assertThat(samples % 1920).isZero();
    if (ExternalTools.onPath("soxi")) {
      Path f = dir.resolve("check-" + System.nanoTime() + ".wav");
      Files.write(f, wav);
      assertThat(ExternalTools.run("soxi", "-r", f.toString()).strip()).isEqualTo("24000");
      assertThat(ExternalTools.run("soxi", "-s", f.toString()).strip())
          .isEqualTo(String.valueOf(samples));
    }
    return samples;
  }

  @Test
  void postAnswersAWavOrJsonWithTheTranscript(@TempDir Path dir) throws Exception {
    HttpResponse<byte[]> wav =
        post(
            "/api/tts",
            "{\"text\": \""
                + SENTENCE
                + "\", \"voice\": \"demo-bass\", "
                + "\"seed\": 42, \"temperature\": 0, \"top_k\": 250}");
    assertThat(wav.statusCode()).as(new String(wav.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(wav.headers().firstValue("content-type")).hasValue("audio/wav");
    int samples = checkWav(wav.body(), dir);

    HttpResponse<byte[]> json =
        post(
            "/api/tts",
            "{\"text\": [\""
                + SENTENCE
                + "\"], \"voice\": \"demo-bass\", "
                + "\"return_timestamps\": true}");
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.headers().firstValue("content-type")).hasValue("application/json");
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.body());
    assertThat(tree.fieldNames()).toIterable().containsExactly("wav", "transcript");
    byte[] wav2 = Base64.getDecoder().decode(tree.get("wav").asText());
    assertThat(wav2).as("greedy: the same audio").isEqualTo(wav.body());
    List<String> texts = new ArrayList<>();
    double last = 0;
    for (var w : tree.get("transcript")) {
      assertThat(w.fieldNames()).toIterable().containsExactly("text", "start_s", "stop_s");
      texts.add(w.get("text").asText());
      assertThat(w.get("start_s").asDouble()).isGreaterThanOrEqualTo(last);
      assertThat(w.get("stop_s").asDouble())
          .isGreaterThanOrEqualTo(w.get("start_s").asDouble())
          .isLessThanOrEqualTo(samples / 24000.0);
      last = w.get("stop_s").asDouble();
    }
    assertThat(texts).containsExactlyElementsOf(WORDS);

    // Accept: application/json asks for JSON too; moshi-server's Py module POSTs on the streaming
    // path.
    HttpResponse<byte[]> accept =
        post("/api/tts", "{\"text\": \"hello\"}", "Accept", "application/json");
    assertThat(accept.headers().firstValue("content-type")).hasValue("application/json");
    HttpResponse<byte[]> py =
        post("/api/tts_streaming", "{\"text\": \"hello world\", \"voice\": \"demo-alto\"}");
    assertThat(py.statusCode()).isEqualTo(200);
    checkWav(py.body(), dir);

    // Two speaker turns with two voices.
    HttpResponse<byte[]> turns =
        post(
            "/api/tts",
            "{\"text\": [\"hello there\", \"hi back\"], "
                + "\"voices\": [\"demo-alto\", \"demo-bass\"]}");
    assertThat(turns.statusCode())
        .as(new String(turns.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    checkWav(turns.body(), dir);
    assertNoSessionLeft();
  }

  @Test
  void badPostsAre400WithAClearMessage() throws Exception {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{\"text\": ", "not valid JSON");
    cases.put("[1, 2]", "must be a JSON object");
    cases.put("{\"voice\": \"demo-alto\"}", "missing field 'text'");
    cases.put("{\"text\": \"   \"}", "no text to speak");
    cases.put("{\"text\": []}", "no text to speak");
    cases.put("{\"text\": 12}", "'text' must be a string or a list of strings");
    cases.put("{\"text\": \"hi\", \"voice\": \"nobody\"}", "unknown voice 'nobody'");
    cases.put(
        "{\"text\": \"hi\", \"voice\": \"demo-alto\", \"voices\": [\"demo-bass\"]}",
        "should not be set");
    cases.put("{\"text\": \"hi\", \"temperature\": \"hot\"}", "'temperature' must be a number");
    cases.put("{\"text\": \"hi\", \"temperature\": 9}", "temperature must be in [0, 5]");
    cases.put("{\"text\": \"hi\", \"seed\": -1}", "seed must be an integer from 0");
    cases.put("{\"text\": \"" + "word ".repeat(10_001) + "\"}", "longer than 50000");
    for (var e : cases.entrySet()) {
      HttpResponse<byte[]> r = post("/api/tts", e.getKey());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      assertThat(new String(r.body(), StandardCharsets.UTF_8))
          .as(e.getKey())
          .contains(e.getValue());
    }
    HttpResponse<String> get =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/tts"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.body()).contains("POST a JSON body");
    assertNoSessionLeft();
  }

  // ---- (f) no slot outlives its client ---------------------------------------------------------

  @Test
  void abruptDisconnectsFreeTheirSlots() throws Exception {
    String longText = "one two three four five six seven eight nine ten ".repeat(40);
    List<Client> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Client c = connect("format=" + (i == 0 ? "OggOpus" : i == 1 ? "PcmMessagePack" : "Pcm"));
      c.text(longText);
      clients.add(c);
    }
    waitFor(() -> clients.stream().allMatch(c -> c.binary.size() > 3), 30_000);
    assertThat(server.ttsEngine().activeSessions()).isEqualTo(3);
    clients.forEach(c -> c.socket.abort());

    // A POST whose client leaves mid-synthesis.
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      byte[] body = ("{\"text\": \"" + longText + "\"}").getBytes(StandardCharsets.UTF_8);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /api/tts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      waitFor(() -> server.ttsEngine().activeSessions() >= 1, 10_000);
      Thread.sleep(200);
    }
    // A socket closed while its slot is still being claimed, and one that never sends anything.
    Client quick = connect("format=PcmMessagePack");
    quick.socket.abort();
    Client silent = connect("format=PcmMessagePack");
    waitFor(() -> !silent.binary.isEmpty(), 10_000);
    silent.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    assertNoSessionLeft();
    assertThat(server.ttsEngine().activeSessions()).isZero();

    // And the server still speaks.
    assertThat(ofType(speak("format=PcmMessagePack", "still here"), "Audio")).isNotEmpty();
    assertNoSessionLeft();
  }

  /**
   * A bare WebSocket client on a socket with a small receive buffer (the JDK client reads into its
   * own buffers, and loopback TCP buffers hold many megabytes): frames masked as RFC 6455 asks.
   */
  static final class RawWs implements AutoCloseable {
    final Socket socket = new Socket();
    final java.io.DataInputStream in;
    final OutputStream out;

    RawWs(String query) throws IOException {
      socket.setReceiveBufferSize(8192);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
      out = socket.getOutputStream();
      in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
      out.write(
          ("GET /api/tts_streaming?"
                  + query
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.readUnsignedByte());
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 101");
    }

    void sendBinary(byte[] payload) throws IOException {
      ByteArrayOutputStream f = new ByteArrayOutputStream();
      f.write(0x82);
      if (payload.length < 126) {
        f.write(0x80 | payload.length);
      } else {
        f.write(0x80 | 126);
        f.write(payload.length >> 8);
        f.write(payload.length & 0xff);
      }
      byte[] mask = {1, 2, 3, 4};
      f.writeBytes(mask);
      for (int i = 0; i < payload.length; i++) {
        f.write(payload[i] ^ mask[i % 4]);
      }
      out.write(f.toByteArray());
      out.flush();
    }

    /** The next frame from the server: opcode and payload. */
    Map.Entry<Integer, byte[]> read() throws IOException {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      return Map.entry(b0 & 0x0f, payload);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void aClientThatStopsReadingPausesItsSynthesis() throws Exception {
    String text = "one two three four five six seven eight nine ten ".repeat(10).strip();
    try (RawWs ws = new RawWs("format=PcmMessagePack")) {
      ws.sendBinary(pack("type", "Text", "text", text));
      ws.sendBinary(pack("type", "Eos"));
      // Nothing is read: once the socket's buffers are full the engine stops stepping the session.
      // Paused means no step over five samples in a row (a busy machine may starve one sample).
      long start = server.ttsEngine().steps();
      long steps = start;
      long paused = -1;
      int still = 0;
      for (int i = 0; i < 300 && paused < 0; i++) {
        Thread.sleep(200);
        long now = server.ttsEngine().steps();
        still = now == steps && now > start + 25 ? still + 1 : 0;
        if (still >= 5) {
          paused = now;
        }
        steps = now;
      }
      assertThat(paused).as("the engine paused the unread session").isPositive();
      Thread.sleep(2000);
      assertThat(server.ttsEngine().steps()).as("still paused").isEqualTo(paused);
      assertThat(server.ttsEngine().activeSessions()).isEqualTo(1);
      // Reading again resumes it, and nothing was lost.
      int words = 0;
      int frames = 0;
      while (true) {
        Map.Entry<Integer, byte[]> f = ws.read();
        if (f.getKey() == 8) {
          assertThat(ByteBuffer.wrap(f.getValue()).getShort()).isEqualTo((short) 1000);
          break;
        }
        if (f.getKey() == 9 || f.getKey() == 10) {
          continue; // pings
        }
        assertThat(f.getKey()).isEqualTo(2);
        Msg m = unpack(f.getValue());
        words += m.type().equals("Text") ? 1 : 0;
        frames += m.type().equals("Audio") ? 1 : 0;
      }
      assertThat(words).isEqualTo(100);
      assertThat(frames).isGreaterThan(500);
    }
    assertNoSessionLeft();
  }

  // ---- keys and the idle timeout, on a server of their own -------------------------------------

  @Test
  void keysAreCheckedAndASilentClientTimesOut() throws Exception {
    try (ParleyServer keyed =
        new ParleyServer(
                null,
                null,
                model,
                ServerConfig.defaults()
                    .withHost("127.0.0.1")
                    .withPort(0)
                    .withGrpcPort(-1)
                    .withMaxSessions(1)
                    .withApiKeys(new ApiKeys(java.util.Set.of("k1")))
                    // Long enough that a busy machine's first audio never races it.
                    .withLimits(1 << 20, 64, java.time.Duration.ofSeconds(5)))
            .start()) {
      String base = "127.0.0.1:" + keyed.port();
      CompletionException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              CompletionException.class,
              () ->
                  HTTP.newWebSocketBuilder()
                      .buildAsync(URI.create("ws://" + base + "/api/tts_streaming"), new Client())
                      .join());
      assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode())
          .isEqualTo(401);
      HttpResponse<String> post =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://" + base + "/api/tts"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"hi\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(401);

      // auth_id in the query (browsers cannot set headers on a WebSocket); then nothing is sent.
      Client silent = new Client();
      silent.socket =
          HTTP.newWebSocketBuilder()
              .buildAsync(
                  URI.create(
                      "ws://" + base + "/api/tts_streaming?format=PcmMessagePack&auth_id=k1"),
                  silent)
              .join();
      assertThat(silent.awaitClosed()).startsWith("1008 idle timeout");
      assertThat(silent.messages()).extracting(Msg::type).containsExactly("Ready", "Error");
      waitFor(() -> keyed.ttsEngine().activeSessions() == 0, 10_000);

      // A client that is being answered is not idle, even when it sends nothing for longer.
      Client busy = new Client();
      busy.socket =
          HTTP.newWebSocketBuilder()
              .header("kyutai-api-key", "k1")
              .buildAsync(
                  URI.create("ws://" + base + "/api/tts_streaming?format=PcmMessagePack"), busy)
              .join();
      long t0 = System.nanoTime();
      busy.text("one two three four five six seven eight nine ten ".repeat(10).strip());
      busy.eos();
      assertThat(busy.awaitClosed()).startsWith("1000");
      System.out.printf(
          "busy TTS client: answered for %d ms without sending (idle timeout 5000 ms)%n",
          (System.nanoTime() - t0) / 1_000_000);
      assertThat(ofType(busy.messages(), "Text")).hasSize(100);
      waitFor(() -> keyed.ttsEngine().activeSessions() == 0, 10_000);
    }
  }
}
