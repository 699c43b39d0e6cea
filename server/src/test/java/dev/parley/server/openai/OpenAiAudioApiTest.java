package dev.parley.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionStreamEvent;
import com.openai.models.audio.transcriptions.TranscriptionVerbose;
import com.openai.models.audio.transcriptions.TranscriptionWord;
import com.openai.models.models.Model;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.codec.wav.WavAudio;
import dev.parley.codec.wav.WavEncoding;
import dev.parley.codec.wav.WavReader;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ApiKeys;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.tts.SynthesisModel;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI audio routes on a real server (loopback, the demo STT and TTS models), driven by
 * OpenAI's official Java SDK with its base URL set to the server. Transcripts are checked against
 * what the server's own {@code POST /api/asr-streaming} gives for the same file, speech against
 * {@code POST /api/tts} with the same seed, the WAV reader and the system's {@code opusdec}.
 */
class OpenAiAudioApiTest {
  static final String KEY = "sk-parley-test";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static SpeechModel stt;
  static SynthesisModel tts;
  static ParleyServer server;
  static OpenAIClient client;
  static Path wav;
  static JsonNode reference; // POST /api/asr-streaming for the same file

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    stt = DemoModel.buildStt(Device.cpu());
    tts = SynthesisModel.demo(Device.cpu());
    server =
        new ParleyServer(
                null,
                stt,
                tts,
                ServerConfig.builder()
                    .host("127.0.0.1")
                    .port(0)
                    .grpcPort(-1)
                    .maxSessions(2)
                    .build()
                    .withApiKeys(new ApiKeys(Set.of(KEY))))
            .start();
    client =
        OpenAIOkHttpClient.builder()
            .apiKey(KEY)
            .baseUrl("http://127.0.0.1:" + server.port() + "/v1")
            .maxRetries(0)
            .build();
    wav = ExternalTools.speechWav(dir, "Transcribe this sentence, please. Then stop.", 24000);
    var res =
        HTTP.send(
            HttpRequest.newBuilder(uri("/api/asr-streaming"))
                .header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofFile(wav))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(200);
    reference = JSON.readTree(res.body());
    assertThat(reference.path("words").size())
        .as("the demo model transcribes some words")
        .isPositive();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
    stt.close();
    tts.close();
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  static String referenceText() {
    return reference.path("text").asText();
  }

  // ---- models ---------------------------------------------------------------------------------

  @Test
  void listsTheHostedModelsAndFindsThemAndTheirAliases() {
    List<String> ids = client.models().list().data().stream().map(Model::id).toList();
    assertThat(ids).containsExactlyInAnyOrder(stt.name(), tts.name());
    assertThat(client.models().retrieve("whisper-1").id()).isEqualTo("whisper-1");
    assertThat(client.models().retrieve(tts.name()).ownedBy()).isEqualTo("parley");
    assertThatThrownBy(() -> client.models().retrieve("gpt-nothing"))
        .isInstanceOf(NotFoundException.class);
  }

  // ---- transcriptions -------------------------------------------------------------------------

  static TranscriptionCreateParams.Builder transcription(String model) {
    return TranscriptionCreateParams.builder().file(wav).model(model);
  }

  @Test
  void jsonTranscriptIsTheServersTranscript() {
    String text =
        client
            .audio()
            .transcriptions()
            .create(transcription("whisper-1").build())
            .asTranscription()
            .text();
    assertThat(text).isEqualTo(referenceText());
  }

  @Test
  void verboseJsonHasTheWordsWithTheirTimes() {
    TranscriptionVerbose v =
        client
            .audio()
            .transcriptions()
            .create(
                transcription(stt.name())
                    .responseFormat(AudioResponseFormat.VERBOSE_JSON)
                    .timestampGranularities(
                        List.of(
                            TranscriptionCreateParams.TimestampGranularity.WORD,
                            TranscriptionCreateParams.TimestampGranularity.SEGMENT))
                    .build())
            .asVerbose();
    assertThat(v.text()).isEqualTo(referenceText());
    assertThat(v.duration())
        .isCloseTo(
            reference.path("duration_s").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
    List<TranscriptionWord> words = v.words().orElseThrow();
    JsonNode ref = reference.path("words");
    assertThat(words).hasSize(ref.size());
    for (int i = 0; i < words.size(); i++) {
      assertThat(words.get(i).word()).isEqualTo(ref.get(i).path("text").asText());
      assertThat(words.get(i).start()).isEqualTo(ref.get(i).path("start_s").asDouble());
      assertThat(words.get(i).end()).isEqualTo(ref.get(i).path("end_s").asDouble());
    }
    assertThat(String.join(" ", v.segments().orElseThrow().stream().map(s -> s.text()).toList()))
        .isEqualTo(referenceText());
  }

  @Test
  void srtAndVttCueTheTranscript() throws Exception {
    for (AudioResponseFormat f : List.of(AudioResponseFormat.SRT, AudioResponseFormat.VTT)) {
      String body;
      try (HttpResponse r =
          client
              .audio()
              .transcriptions()
              .withRawResponse()
              .create(transcription("whisper-1").responseFormat(f).build())) {
        body = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
      }
      String sep = f == AudioResponseFormat.SRT ? "," : "\\.";
      Pattern cue =
          Pattern.compile(
              "(\\d\\d):(\\d\\d):(\\d\\d)"
                  + sep
                  + "(\\d{3}) --> (\\d\\d):(\\d\\d):(\\d\\d)"
                  + sep
                  + "(\\d{3})\\n([^\\n]+)\\n");
      Matcher m = cue.matcher(body);
      List<String> texts = new ArrayList<>();
      double last = 0;
      while (m.find()) {
        double a = seconds(m, 1);
        double b = seconds(m, 5);
        assertThat(a).isGreaterThanOrEqualTo(last);
        assertThat(b).isGreaterThanOrEqualTo(a);
        last = b;
        texts.add(m.group(9));
      }
      assertThat(String.join(" ", texts)).as(f.toString()).isEqualTo(referenceText());
      if (f == AudioResponseFormat.VTT) {
        assertThat(body).startsWith("WEBVTT\n");
      } else {
        assertThat(body).startsWith("1\n");
      }
    }
  }

  static double seconds(Matcher m, int g) {
    return Integer.parseInt(m.group(g)) * 3600
        + Integer.parseInt(m.group(g + 1)) * 60
        + Integer.parseInt(m.group(g + 2))
        + Integer.parseInt(m.group(g + 3)) / 1000.0;
  }

  @Test
  void streamingSendsDeltasThenTheDoneTranscript() {
    StringBuilder deltas = new StringBuilder();
    List<String> done = new ArrayList<>();
    int count = 0;
    try (StreamResponse<TranscriptionStreamEvent> s =
        client
            .audio()
            .transcriptions()
            .createStreaming(transcription("gpt-4o-transcribe").build())) {
      for (TranscriptionStreamEvent e : (Iterable<TranscriptionStreamEvent>) s.stream()::iterator) {
        if (e.isTranscriptTextDelta()) {
          assertThat(done).as("no delta after done").isEmpty();
          deltas.append(e.asTranscriptTextDelta().delta());
          count++;
        } else if (e.isTranscriptTextDone()) {
          done.add(e.asTranscriptTextDone().text());
        }
      }
    }
    assertThat(count).isEqualTo(reference.path("words").size());
    assertThat(done).containsExactly(deltas.toString());
    assertThat(deltas.toString()).isEqualTo(referenceText());
  }

  @Test
  void transcriptionErrorsAreOpenAiErrors(@TempDir Path dir) throws Exception {
    assertThatThrownBy(
            () -> client.audio().transcriptions().create(transcription("no-such-model").build()))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
    Path mp3 = dir.resolve("a.mp3");
    Files.write(mp3, new byte[] {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, 1, 2, 3});
    assertThatThrownBy(
            () ->
                client
                    .audio()
                    .transcriptions()
                    .create(
                        TranscriptionCreateParams.builder().file(mp3).model("whisper-1").build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.param()).contains("file");
              assertThat(e.getMessage()).contains("MP3").contains("wav").contains("ogg");
            });
    OpenAIClient wrong =
        OpenAIOkHttpClient.builder()
            .apiKey("sk-wrong")
            .baseUrl("http://127.0.0.1:" + server.port() + "/v1")
            .maxRetries(0)
            .build();
    try {
      assertThatThrownBy(
              () -> wrong.audio().transcriptions().create(transcription("whisper-1").build()))
          .isInstanceOfSatisfying(
              UnauthorizedException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(401);
                assertThat(e.code()).contains("invalid_api_key");
                assertThat(e.type()).contains("invalid_request_error");
              });
      assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class);
    } finally {
      wrong.close();
    }
    // The raw shape: {"error": {"message", "type", "param", "code"}}.
    var res =
        HTTP.send(
            HttpRequest.newBuilder(uri("/v1/models")).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(401);
    JsonNode err = JSON.readTree(res.body()).path("error");
    assertThat(err.has("message") && err.has("type") && err.has("param") && err.has("code"))
        .isTrue();
    // The server still transcribes.
    assertThat(
            client
                .audio()
                .transcriptions()
                .create(transcription("whisper-1").build())
                .asTranscription()
                .text())
        .isEqualTo(referenceText());
  }

  // ---- speech ---------------------------------------------------------------------------------

  static final String SENTENCE = "hello this is a test";

  static byte[] speak(SpeechCreateParams.ResponseFormat format, SpeechCreateParams.Voice voice)
      throws Exception {
    SpeechCreateParams p =
        SpeechCreateParams.builder()
            .model("tts-1")
            .input(SENTENCE)
            .voice(voice)
            .responseFormat(format)
            .putAdditionalBodyProperty("temperature", JsonValue.from(0))
            .putAdditionalBodyProperty("seed", JsonValue.from(7))
            .build();
    try (HttpResponse r = client.audio().speech().create(p)) {
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body().readAllBytes();
    }
  }

  /** POST /api/tts with the same text, voice and sampling: the server's own 16-bit WAV. */
  static float[] referenceSpeech() throws Exception {
    var res =
        HTTP.send(
            HttpRequest.newBuilder(uri("/api/tts"))
                .header("Authorization", "Bearer " + KEY)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"text\": \"" + SENTENCE + "\", \"temperature\": 0, \"seed\": 7}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(res.statusCode()).isEqualTo(200);
    return WavReader.read(new ByteArrayInputStream(res.body())).samples();
  }

  @Test
  void speechInWavPcmAndOpusIsTheServersSpeech(@TempDir Path dir) throws Exception {
    float[] ref = referenceSpeech();
    assertThat(ref.length).isPositive();

    byte[] wavBytes =
        speak(
            SpeechCreateParams.ResponseFormat.WAV,
            SpeechCreateParams.Voice.ofUnionMember1(SpeechCreateParams.Voice.UnionMember1.ALLOY));
    WavAudio w = WavReader.read(new ByteArrayInputStream(wavBytes));
    assertThat(w.sampleRate()).isEqualTo(24000);
    assertThat(w.channels()).isEqualTo(1);
    assertThat(w.encoding()).isEqualTo(WavEncoding.PCM_S16);
    assertThat(w.samples()).containsExactly(ref);

    byte[] pcm =
        speak(
            SpeechCreateParams.ResponseFormat.PCM, SpeechCreateParams.Voice.ofString("demo-alto"));
    assertThat(pcm.length).isEqualTo(ref.length * 2);
    ByteBuffer b = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN);
    float[] fromPcm = new float[pcm.length / 2];
    for (int i = 0; i < fromPcm.length; i++) {
      fromPcm[i] = b.getShort() / 32768f;
    }
    assertThat(fromPcm).containsExactly(ref);

    ExternalTools.require("opusdec", "opus-tools");
    byte[] ogg =
        speak(
            SpeechCreateParams.ResponseFormat.OPUS,
            SpeechCreateParams.Voice.ofUnionMember1(SpeechCreateParams.Voice.UnionMember1.ECHO));
    Path opus = dir.resolve("s.opus");
    Files.write(opus, ogg);
    Path decoded = dir.resolve("s.wav");
    ExternalTools.run("opusdec", "--rate", "24000", "--float", opus.toString(), decoded.toString());
    float[] o = WavReader.read(decoded).samples();
    assertThat(o.length).isEqualTo(ref.length);
    assertThat(rms(o)).isCloseTo(rms(ref), org.assertj.core.data.Offset.offset(0.5 * rms(ref)));
  }

  static double rms(float[] x) {
    double s = 0;
    for (float v : x) {
      s += v * v;
    }
    return Math.sqrt(s / Math.max(1, x.length));
  }

  @Test
  void speechAsServerSentEventsCarriesTheSameAudio() throws Exception {
    float[] ref = referenceSpeech();
    String body =
        "{\"model\": \"gpt-4o-mini-tts\", \"input\": \""
            + SENTENCE
            + "\", \"voice\": \"alloy\", \"response_format\": \"pcm\", \"stream_format\": \"sse\","
            + " \"temperature\": 0, \"seed\": 7}";
    var res =
        HTTP.send(
            HttpRequest.newBuilder(uri("/v1/audio/speech"))
                .header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("content-type")).contains("text/event-stream");
    java.io.ByteArrayOutputStream audio = new java.io.ByteArrayOutputStream();
    List<String> types = new ArrayList<>();
    for (String event : res.body().split("\n\n")) {
      assertThat(event).startsWith("data: ");
      JsonNode e = JSON.readTree(event.substring(6));
      types.add(e.path("type").asText());
      if (e.path("type").asText().equals("speech.audio.delta")) {
        audio.writeBytes(java.util.Base64.getDecoder().decode(e.path("audio").asText()));
      }
    }
    assertThat(types.get(types.size() - 1)).isEqualTo("speech.audio.done");
    assertThat(types.subList(0, types.size() - 1)).containsOnly("speech.audio.delta");
    ByteBuffer b = ByteBuffer.wrap(audio.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    float[] pcm = new float[audio.size() / 2];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = b.getShort() / 32768f;
    }
    assertThat(pcm).containsExactly(ref);
  }

  @Test
  void speechErrorsAreOpenAiErrors() {
    assertThatThrownBy(
            () ->
                speak(
                    SpeechCreateParams.ResponseFormat.MP3,
                    SpeechCreateParams.Voice.ofUnionMember1(
                        SpeechCreateParams.Voice.UnionMember1.ALLOY)))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> {
              assertThat(e.param()).contains("response_format");
              assertThat(e.getMessage()).contains("wav, pcm, opus");
            });
    assertThatThrownBy(
            () ->
                client
                    .audio()
                    .speech()
                    .create(
                        SpeechCreateParams.builder()
                            .model("no-such-tts")
                            .input("hi")
                            .voice(
                                SpeechCreateParams.Voice.ofUnionMember1(
                                    SpeechCreateParams.Voice.UnionMember1.ALLOY))
                            .build()))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
    assertThatThrownBy(
            () ->
                speak(
                    SpeechCreateParams.ResponseFormat.WAV,
                    SpeechCreateParams.Voice.ofString("nobody")))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("voice"));
  }
}
