package dev.parley.client.testing;

import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.Marker;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import dev.parley.proto.v1.TranscriptionInfo;
import dev.parley.proto.v1.Word;
import dev.parley.proto.v1.WordEnd;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in Transcription that "recognizes" a fixed script, timed against the audio received the
 * way Parley's server is: word i is sent once {@code start + DELAY_S} seconds of PCM audio have
 * arrived, its WordEnd when the next word is sent (or at the end of input), an EndOfTurn once
 * {@code end + 0.5 s + DELAY_S} has arrived after a word marked as ending a turn, markers at once
 * (everything before them is "transcribed" on arrival), pause probabilities every N steps when
 * asked. For Ogg Opus input, whose duration it does not decode, every word waits for the end of
 * input. END_OF_INPUT or a half-close sends what is left, the FinalTranscript, and ends the call.
 *
 * <p>It records what it received for the tests: configs, audio bytes, markers.
 */
public final class ScriptedTranscription extends TranscriptionGrpc.TranscriptionImplBase {
  public static final double DELAY_S = 0.5;

  /**
   * Model steps the stand-in pretends to have run before the client's audio (a 1 s silence prefix).
   */
  public static final long PREFIX_STEPS = 13;

  /** A word of the script; {@code turnEnds}: the speaker's turn ends after it. */
  public record ScriptWord(String text, double start, double end, boolean turnEnds) {}

  private final List<ScriptWord> script;
  public final List<TranscribeConfig> configs = new CopyOnWriteArrayList<>();
  public final List<Long> markers = new CopyOnWriteArrayList<>();
  public final ByteArrayOutputStream audio = new ByteArrayOutputStream();

  /** How many calls ran to their FinalTranscript. */
  public volatile int finished;

  public ScriptedTranscription(List<ScriptWord> script) {
    this.script = List.copyOf(script);
  }

  /** "Hello world." (a turn), then "How are you?" — spoken within the first 3 s. */
  public static ScriptedTranscription greeting() {
    return new ScriptedTranscription(
        List.of(
            new ScriptWord("Hello", 0.40, 0.80, false),
            new ScriptWord("world.", 0.88, 1.36, true),
            new ScriptWord("How", 2.00, 2.24, false),
            new ScriptWord("are", 2.32, 2.48, false),
            new ScriptWord("you?", 2.56, 2.96, false)));
  }

  public synchronized byte[] audioBytes() {
    return audio.toByteArray();
  }

  @Override
  public StreamObserver<TranscribeRequest> transcribe(StreamObserver<TranscribeResponse> out) {
    return new StreamObserver<>() {
      TranscribeConfig config;
      long bytes;
      int next; // next word to send
      int turnPending = -1; // word whose turn end waits for its audio
      long nextPauseStep;
      boolean over;

      @Override
      public void onNext(TranscribeRequest r) {
        if (over) {
          return;
        }
        switch (r.getKindCase()) {
          case CONFIG -> {
            if (!r.getConfig().hasInputFormat()) {
              fail(
                  Status.INVALID_ARGUMENT.withDescription(
                      "TranscribeConfig.input_format is required"));
              return;
            }
            config = r.getConfig();
            configs.add(config);
            nextPauseStep = config.getPauseProbabilitiesEverySteps();
            out.onNext(
                TranscribeResponse.newBuilder()
                    .setSession(
                        TranscriptionInfo.newBuilder()
                            .setSessionId("stt-1")
                            .setModel("scripted")
                            .setDelayS(DELAY_S)
                            .setPauseHeads(4)
                            .setEndOfTurnHead(2)
                            .setEndOfTurnThreshold(0.5f))
                    .build());
          }
          case AUDIO -> {
            if (config == null) {
              fail(
                  Status.INVALID_ARGUMENT.withDescription(
                      "the first message must be a TranscribeConfig"));
              return;
            }
            synchronized (ScriptedTranscription.this) {
              audio.writeBytes(r.getAudio().getData().toByteArray());
            }
            bytes += r.getAudio().getData().size();
            int bps = pcmBytesPerSecond(config.getInputFormat());
            if (bps > 0) {
              advance(bytes / (double) bps);
            }
          }
          case CONTROL -> {
            switch (r.getControl().getAction()) {
              case MARKER -> {
                markers.add(r.getControl().getMarkerId());
                out.onNext(
                    TranscribeResponse.newBuilder()
                        .setMarker(Marker.newBuilder().setId(r.getControl().getMarkerId()))
                        .build());
              }
              case END_OF_INPUT -> finish();
              default -> {}
            }
          }
          default -> {}
        }
      }

      /** Sends what {@code seconds} of audio make known. */
      private void advance(double seconds) {
        while (true) {
          long step = PREFIX_STEPS + Math.round(seconds / 0.08);
          if (config.getPauseProbabilitiesEverySteps() > 0 && nextPauseStep <= step) {
            out.onNext(
                TranscribeResponse.newBuilder()
                    .setPause(
                        PauseProbabilities.newBuilder()
                            .setStep(nextPauseStep)
                            .addProbabilities(0.125f)
                            .addProbabilities(0.25f)
                            .addProbabilities(0.75f)
                            .addProbabilities(0.5f))
                    .build());
            nextPauseStep += config.getPauseProbabilitiesEverySteps();
            continue;
          }
          if (turnPending >= 0 && script.get(turnPending).end() + 0.5 + DELAY_S <= seconds) {
            sendTurn(turnPending);
            turnPending = -1;
            continue;
          }
          if (next < script.size()
              && script.get(next).start() + DELAY_S <= seconds
              && turnPending < 0) {
            sendWord(next++);
            continue;
          }
          return;
        }
      }

      private void sendWord(int i) {
        if (i > 0) {
          out.onNext(
              TranscribeResponse.newBuilder()
                  .setWordEnd(WordEnd.newBuilder().setIndex(i - 1).setEndS(script.get(i - 1).end()))
                  .build());
        }
        ScriptWord w = script.get(i);
        out.onNext(
            TranscribeResponse.newBuilder()
                .setWord(Word.newBuilder().setIndex(i).setText(w.text()).setStartS(w.start()))
                .build());
        if (w.turnEnds()) {
          turnPending = i;
        }
      }

      private void sendTurn(int i) {
        long step =
            PREFIX_STEPS + (long) Math.ceil((script.get(i).end() + 0.5 + DELAY_S) / 0.08 - 1e-9);
        out.onNext(
            TranscribeResponse.newBuilder()
                .setEndOfTurn(EndOfTurn.newBuilder().setStep(step).setProbability(0.875f))
                .build());
      }

      private void finish() {
        if (over || config == null) {
          return;
        }
        while (next < script.size() || turnPending >= 0) {
          if (turnPending >= 0) {
            sendTurn(turnPending);
            turnPending = -1;
          } else {
            sendWord(next++);
          }
        }
        if (!script.isEmpty()) {
          out.onNext(
              TranscribeResponse.newBuilder()
                  .setWordEnd(
                      WordEnd.newBuilder()
                          .setIndex(script.size() - 1)
                          .setEndS(script.get(script.size() - 1).end()))
                  .build());
        }
        FinalTranscript.Builder f = FinalTranscript.newBuilder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < script.size(); i++) {
          ScriptWord w = script.get(i);
          f.addWords(
              Word.newBuilder()
                  .setIndex(i)
                  .setText(w.text())
                  .setStartS(w.start())
                  .setEndS(w.end()));
          text.append(i == 0 ? "" : " ").append(w.text());
        }
        out.onNext(TranscribeResponse.newBuilder().setFinal(f.setText(text.toString())).build());
        over = true;
        finished++;
        out.onCompleted();
      }

      private void fail(Status s) {
        over = true;
        out.onError(s.asRuntimeException());
      }

      @Override
      public void onError(Throwable t) {
        over = true;
      }

      @Override
      public void onCompleted() {
        if (config == null && !over) {
          fail(
              Status.INVALID_ARGUMENT.withDescription(
                  "the stream ended before its TranscribeConfig"));
          return;
        }
        finish();
      }
    };
  }

  static int pcmBytesPerSecond(AudioFormat f) {
    int ch = Math.max(1, f.getChannels());
    int rate = f.getSampleRateHz() == 0 ? 24000 : f.getSampleRateHz();
    return f.getEncoding() == Encoding.PCM_S16LE
        ? 2 * ch * rate
        : f.getEncoding() == Encoding.PCM_F32LE ? 4 * ch * rate : 0;
  }
}
