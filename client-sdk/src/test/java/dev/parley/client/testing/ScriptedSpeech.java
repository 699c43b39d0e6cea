package dev.parley.client.testing;

import com.google.protobuf.ByteString;
import dev.parley.codec.audio.Pcm;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.ListVoicesRequest;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.proto.v1.Voice;
import dev.parley.proto.v1.WordTiming;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in Speech service that "speaks" every word as {@link #FRAMES_PER_WORD} 80 ms frames of a
 * tone whose pitch depends on the word's position, so audio is deterministic and its length known:
 * word i starts at {@code i * FRAMES_PER_WORD * 0.08} s. Like Parley's server, a word's timing goes
 * out before its audio, PCM_S16LE audio goes out one frame per chunk (OGG_OPUS is encoded here,
 * page by page), and a stream's text is spoken as soon as whitespace shows a word is complete.
 * Voices: {@code alto} (the default) and {@code bass}; others are INVALID_ARGUMENT. The word {@code
 * !fail} fails the call with INTERNAL after the words before it.
 *
 * <p>It records what it received: requests (the config of streams), text pieces, cancellations.
 */
public final class ScriptedSpeech extends SpeechGrpc.SpeechImplBase {
  public static final int FRAMES_PER_WORD = 3;
  public static final int FRAME = 1920;
  public static final List<String> VOICES = List.of("alto", "bass");

  public final List<SynthesizeRequest> requests = new CopyOnWriteArrayList<>();
  public final List<String> pieces = new CopyOnWriteArrayList<>();
  public volatile int cancelled;

  @Override
  public void listVoices(ListVoicesRequest request, StreamObserver<ListVoicesResponse> out) {
    ListVoicesResponse.Builder r =
        ListVoicesResponse.newBuilder().setDefaultVoice("alto").setMaxSpeakers(2);
    for (String v : VOICES) {
      r.addVoices(Voice.newBuilder().setName(v).setSource("builtin"));
    }
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public void synthesize(SynthesizeRequest request, StreamObserver<SynthesizeResponse> out) {
    requests.add(request);
    Speaker s = Speaker.start(request, out);
    if (s == null) {
      return;
    }
    List<String> words = new ArrayList<>();
    if (request.getTurnsCount() > 0) {
      for (String t : request.getTurnsList()) {
        words.addAll(split(t));
      }
    } else {
      words.addAll(split(request.getText()));
    }
    if (words.isEmpty()) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("nothing to say").asRuntimeException());
      return;
    }
    for (String w : words) {
      if (!s.word(w)) {
        return;
      }
    }
    s.end();
  }

  @Override
  public StreamObserver<SynthesizeStreamRequest> synthesizeStream(
      StreamObserver<SynthesizeResponse> out) {
    return new StreamObserver<>() {
      Speaker speaker;
      final StringBuilder pending = new StringBuilder();
      boolean over;

      @Override
      public void onNext(SynthesizeStreamRequest r) {
        if (over) {
          return;
        }
        switch (r.getKindCase()) {
          case CONFIG -> {
            requests.add(r.getConfig());
            speaker = Speaker.start(r.getConfig(), out);
            over = speaker == null;
            if (!over) {
              push(r.getConfig().getText());
            }
          }
          case TEXT -> {
            pieces.add(r.getText());
            push(r.getText());
          }
          case END_OF_TEXT -> {
            if (pieces.stream().allMatch(String::isBlank) && pending.toString().isBlank()) {
              out.onError(
                  Status.INVALID_ARGUMENT
                      .withDescription("no text to speak: the text ended before any word")
                      .asRuntimeException());
              over = true;
              return;
            }
            speak(split(pending.toString()));
            pending.setLength(0);
            if (!over) {
              speaker.end();
            }
            over = true;
          }
          default -> {}
        }
      }

      private void push(String piece) {
        pending.append(piece);
        int cut = pending.length();
        while (cut > 0 && !Character.isWhitespace(pending.charAt(cut - 1))) {
          cut--;
        }
        speak(split(pending.substring(0, cut)));
        pending.delete(0, cut);
      }

      private void speak(List<String> words) {
        for (String w : words) {
          if (over || !speaker.word(w)) {
            over = true;
            return;
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        cancelled++;
        over = true;
      }

      @Override
      public void onCompleted() {
        if (!over) {
          out.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("the text ended without end_of_text")
                  .asRuntimeException());
          over = true;
        }
      }
    };
  }

  static List<String> split(String text) {
    List<String> words = new ArrayList<>();
    for (String w : text.trim().split("\\s+")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    return words;
  }

  /** The samples of word {@code i}: a tone, 0.3 amplitude. */
  public static float[] wordSamples(int i) {
    float[] x = new float[FRAMES_PER_WORD * FRAME];
    double f = 200 + 40 * i;
    for (int k = 0; k < x.length; k++) {
      x[k] = (float) (0.3 * Math.sin(2 * Math.PI * f * k / 24000.0));
    }
    return x;
  }

  /** One synthesis: validates the request, then words go out as timings and audio. */
  private static final class Speaker {
    private final StreamObserver<SynthesizeResponse> out;
    private final OggOpusWriter ogg;
    private int words;

    private Speaker(SynthesizeRequest request, StreamObserver<SynthesizeResponse> out) {
      this.out = out;
      this.ogg =
          request.getOutputFormat().getEncoding() == Encoding.OGG_OPUS
              ? new OggOpusWriter(OggOpusWriter.Options.speech24k(), this::chunk)
              : null;
    }

    /** Null (after an error) if the request is not acceptable. */
    static Speaker start(SynthesizeRequest request, StreamObserver<SynthesizeResponse> out) {
      if (!request.getVoice().isEmpty() && request.getVoicesCount() > 0) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("set voice or voices, not both")
                .asRuntimeException());
        return null;
      }
      List<String> voices = new ArrayList<>(request.getVoicesList());
      if (!request.getVoice().isEmpty()) {
        voices.add(request.getVoice());
      }
      for (String v : voices) {
        if (!VOICES.contains(v)) {
          out.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("unknown voice '" + v + "' (known: alto, bass)")
                  .asRuntimeException());
          return null;
        }
      }
      Encoding e = request.getOutputFormat().getEncoding();
      if (request.hasOutputFormat() && e != Encoding.PCM_S16LE && e != Encoding.OGG_OPUS) {
        out.onError(
            Status.INVALID_ARGUMENT
                .withDescription("output encoding " + e + " is not supported here")
                .asRuntimeException());
        return null;
      }
      out.onNext(
          SynthesizeResponse.newBuilder()
              .setReady(
                  SynthesisReady.newBuilder()
                      .setModel("scripted")
                      .addAllVoices(voices.isEmpty() ? List.of("alto") : voices)
                      .setModelSampleRateHz(24000))
              .build());
      return new Speaker(request, out);
    }

    /** False (after an error) for the word {@code !fail}. */
    boolean word(String text) {
      if (text.equals("!fail")) {
        out.onError(Status.INTERNAL.withDescription("the model fell over").asRuntimeException());
        return false;
      }
      int i = words++;
      double start = i * FRAMES_PER_WORD * 0.08;
      out.onNext(
          SynthesizeResponse.newBuilder()
              .setWord(
                  WordTiming.newBuilder()
                      .setText(text)
                      .setIndex(i)
                      .setStartS(start)
                      .setEndS(start + FRAMES_PER_WORD * 0.08 - 0.04))
              .build());
      float[] x = wordSamples(i);
      for (int f = 0; f < FRAMES_PER_WORD; f++) {
        if (ogg != null) {
          ogg.write(x, f * FRAME, FRAME);
        } else {
          chunk(Pcm.monoToS16le(x, f * FRAME, FRAME));
        }
      }
      return true;
    }

    private void chunk(byte[] data) {
      out.onNext(
          SynthesizeResponse.newBuilder()
              .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(data)))
              .build());
    }

    void end() {
      if (ogg != null) {
        ogg.close();
      }
      long frames = (long) words * FRAMES_PER_WORD;
      out.onNext(
          SynthesizeResponse.newBuilder()
              .setEnd(
                  SynthesisEnd.newBuilder()
                      .setFrames(frames)
                      .setWords(words)
                      .setSteps(frames + 4)
                      .setFirstAudioMs(12.5))
              .build());
      out.onCompleted();
    }
  }
}
