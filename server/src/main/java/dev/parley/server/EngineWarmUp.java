package dev.parley.server;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms a server up before it reports ready: the Ogg Opus codec through the JIT, then every slot of
 * every engine through a short throwaway session, so full-batch shapes and the Java side are warm
 * when the first client comes.
 */
final class EngineWarmUp {
  private static final Logger LOG = LoggerFactory.getLogger(EngineWarmUp.class);

  private EngineWarmUp() {}

  /**
   * The codec, then every engine (each may be null): first-call costs are paid before clients come.
   */
  static void run(DialogueEngine engine, SttEngine sttEngine, TtsEngine ttsEngine)
      throws Exception {
    long t0 = System.nanoTime();
    CodecWarmUp.run(CODEC_WARM_UP_SECONDS);
    long t1 = System.nanoTime();
    if (engine != null) {
      warmUpDialogue(engine);
    }
    if (sttEngine != null) {
      warmUpTranscription(sttEngine);
    }
    if (ttsEngine != null) {
      warmUpSynthesis(ttsEngine);
    }
    LOG.info(
        "warm-up: Ogg Opus {} ms, engine {} ms",
        (t1 - t0) / 1_000_000,
        (System.nanoTime() - t1) / 1_000_000);
  }

  /**
   * Enough audio for the C2 compiler to finish with Concentus's hot paths (measured: bench chat).
   */
  static final double CODEC_WARM_UP_SECONDS = 60;

  /**
   * Every slot steps a few frames together, so full-batch shapes and the Java side are warm too.
   */
  private static void warmUpDialogue(DialogueEngine engine) throws Exception {
    int n = engine.maxSessions();
    CountDownLatch frames = new CountDownLatch(3 * n);
    List<DialogueSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(
          engine.open(
              DialogueOptions.greedy(),
              new DialogueListener() {
                @Override
                public void onFrame(OutputFrame frame) {
                  frames.countDown();
                }

                @Override
                public void onClosed(String reason) {}
              }));
    }
    // 5 frames give 3 outputs on every dialogue model (PersonaPlex's first two steps emit none).
    float[] audio = CodecWarmUp.speechLike(5 * ModelAudio.FRAME_SAMPLES, 11);
    for (DialogueSession s : sessions) {
      s.offerAudio(audio, 0, audio.length);
    }
    if (!frames.await(120, TimeUnit.SECONDS)) {
      LOG.warn("engine warm-up did not finish in 120 s");
    }
    sessions.forEach(DialogueSession::close);
    // Closing is the engine thread's work: wait for it, so no warm-up step runs once clients come.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (engine.activeSessions() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** Every transcription slot runs a short stream to its end: prefix, audio, flush, transcript. */
  private static void warmUpTranscription(SttEngine sttEngine) throws Exception {
    int n = sttEngine.maxSessions();
    CountDownLatch closed = new CountDownLatch(n);
    List<SttSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(
          sttEngine.open(
              SttOptions.defaults(),
              new SttListener() {
                @Override
                public void onWord(int index, String text, double startSeconds) {}

                @Override
                public void onClosed(String reason) {
                  closed.countDown();
                }
              }));
    }
    float[] audio = CodecWarmUp.speechLike(4 * ModelAudio.FRAME_SAMPLES, 13);
    for (SttSession s : sessions) {
      s.offerAudio(audio, 0, audio.length);
      s.endOfInput();
    }
    if (!closed.await(120, TimeUnit.SECONDS)) {
      LOG.warn("transcription warm-up did not finish in 120 s");
      sessions.forEach(SttSession::close);
    }
  }

  /** Every synthesis slot speaks a few words to the end. */
  private static void warmUpSynthesis(TtsEngine ttsEngine) throws Exception {
    int n = ttsEngine.maxSessions();
    CountDownLatch closed = new CountDownLatch(n);
    List<TtsSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(
          ttsEngine.synthesize(
              List.of("warming up the voice"),
              TtsOptions.defaults(),
              new TtsListener() {
                @Override
                public void onAudio(float[] pcm) {}

                @Override
                public void onClosed(String reason) {
                  closed.countDown();
                }
              }));
    }
    if (!closed.await(120, TimeUnit.SECONDS)) {
      LOG.warn("synthesis warm-up did not finish in 120 s");
      sessions.forEach(TtsSession::close);
    }
  }
}
