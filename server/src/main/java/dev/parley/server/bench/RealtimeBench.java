package dev.parley.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.audio.Pcm;
import dev.parley.server.ParleyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI Realtime transport under load: N transcription sessions and N speech-to-speech
 * sessions on {@code /v1/realtime} of a server on loopback, each client sending utterances of
 * speech-like audio in real time (80 ms appends). Measured per utterance: from its last append to
 * the {@code completed} transcript (after a commit), and to the first {@code
 * response.output_audio.delta} after it.
 */
public final class RealtimeBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FRAME = ModelAudio.FRAME_SAMPLES;

  private RealtimeBench() {}

  public record Result(
      int sessions,
      int utterances,
      LatencyStats transcript,
      LatencyStats firstAudio,
      long lostSessions) {
    public String line() {
      return String.format(
          Locale.ROOT,
          "bench=realtime sessions=%d utterances=%d transcript_p50_ms=%.0f transcript_p99_ms=%.0f"
              + " first_audio_p50_ms=%.1f first_audio_p99_ms=%.1f lost_sessions=%d",
          sessions,
          utterances,
          transcript.p50(),
          transcript.p99(),
          firstAudio.p50(),
          firstAudio.p99(),
          lostSessions);
    }
  }

  /** One client: every event's type and arrival time. */
  private static final class Client implements WebSocket.Listener {
    final ConcurrentLinkedQueue<long[]> completed = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Long> audio = new ConcurrentLinkedQueue<>();
    final CompletableFuture<Void> created = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket ws;
    boolean lost; // the server closed it (e.g. it fell behind real time)

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        long now = System.nanoTime();
        try {
          JsonNode e = JSON.readTree(partial.toString());
          switch (e.path("type").asText()) {
            case "session.created" -> created.complete(null);
            case "conversation.item.input_audio_transcription.completed" ->
                completed.add(new long[] {now});
            case "response.output_audio.delta" -> audio.add(now);
            case "error" -> {
              if (e.path("error").path("code").asText().equals("no_free_slot")) {
                created.completeExceptionally(new IllegalStateException(e.toString()));
              }
            }
            default -> {}
          }
        } catch (Exception ex) {
          created.completeExceptionally(ex);
        }
        partial.setLength(0);
      }
      w.request(1);
      return null;
    }
  }

  private static Client connect(int port, String model) {
    Client c = new Client();
    c.ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/realtime?model=" + model), c)
            .join();
    c.created.orTimeout(60, TimeUnit.SECONDS).join();
    return c;
  }

  private static void send(Client c, String msg) {
    if (c.lost) {
      return;
    }
    try {
      c.ws.sendText(msg, true).join();
    } catch (RuntimeException e) {
      c.lost = true;
    }
  }

  private static String append(float[] pcm, int from) {
    ByteBuffer b = ByteBuffer.allocate(FRAME * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = from; i < from + FRAME; i++) {
      b.putShort(Pcm.floatToS16(pcm[i % pcm.length]));
    }
    return "{\"type\":\"input_audio_buffer.append\",\"audio\":\""
        + Base64.getEncoder().encodeToString(b.array())
        + "\"}";
  }

  /**
   * Runs {@code utterances} utterances of {@code seconds} each, with a pause of 1 s between them,
   * on {@code sessions} transcription and {@code sessions} speech-to-speech sessions at once.
   */
  public static Result run(
      ParleyServer server,
      String sttModel,
      String dialogueModel,
      int sessions,
      int utterances,
      double seconds)
      throws Exception {
    float[] speech = SttBench.speechLike(seconds);
    List<Client> stt = new ArrayList<>();
    List<Client> chat = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      stt.add(connect(server.port(), sttModel));
      chat.add(connect(server.port(), dialogueModel));
    }
    List<Long> transcript = new ArrayList<>();
    List<Long> firstAudio = new ArrayList<>();
    int framesPerUtterance = (int) Math.round(seconds * ModelAudio.SAMPLE_RATE / FRAME);
    int pauseFrames = (int) Math.round(1.0 * ModelAudio.SAMPLE_RATE / FRAME);
    long t0 = System.nanoTime();
    long tick = 0;
    String silence = append(new float[FRAME], 0);
    for (int u = 0; u < utterances; u++) {
      for (int f = 0; f < framesPerUtterance + pauseFrames; f++) {
        String msg = f < framesPerUtterance ? append(speech, f * FRAME) : silence;
        for (int i = 0; i < sessions; i++) {
          send(stt.get(i), msg);
          send(chat.get(i), msg);
        }
        if (f == framesPerUtterance - 1) {
          long last = System.nanoTime();
          for (int i = 0; i < sessions; i++) {
            send(stt.get(i), "{\"type\":\"input_audio_buffer.commit\"}");
          }
          // Measured once this utterance's pause is over.
          for (Client c : stt) {
            c.completed.add(new long[] {-last}); // a marker: the utterance's last append
          }
          for (Client c : chat) {
            c.audio.add(-last);
          }
        }
        tick++;
        long wait = t0 + tick * ModelAudio.FRAME_NANOS - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
      }
    }
    Thread.sleep(5000); // the last transcripts
    for (Client c : stt) {
      long last = 0;
      for (long[] e : c.completed) {
        if (e[0] < 0) {
          last = -e[0];
        } else if (last != 0) {
          transcript.add(e[0] - last);
          last = 0;
        }
      }
      c.ws.abort();
    }
    for (Client c : chat) {
      long last = 0;
      for (long t : c.audio) {
        if (t < 0) {
          last = -t;
        } else if (last != 0 && t > last) {
          firstAudio.add(t - last);
          last = 0;
        }
      }
      c.ws.abort();
    }
    return new Result(
        sessions,
        utterances,
        new LatencyStats(transcript.stream().mapToLong(Long::longValue).toArray()),
        new LatencyStats(firstAudio.stream().mapToLong(Long::longValue).toArray()),
        stt.stream().filter(c -> c.lost).count() + chat.stream().filter(c -> c.lost).count());
  }
}
