package dev.parley.server.dialogue;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.tensor.SafeTensorsFile;
import dev.parley.codec.testing.Golden;
import dev.parley.server.dialogue.PromptedDialogueTest.PromptRecorder;
import dev.parley.server.engine.EngineObserver;
import dev.parley.server.lm.SamplingParams;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.persona.PersonaPlexTiny;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session whose (voice, text) prompt an earlier session prefilled starts from a copy of that
 * state: no prefill step, and exactly the frames the uncached session got, greedy and sampled,
 * beside another live session and through a slot move; on PersonaPlex and on a Moshi model's
 * experimental prompts. Counted with the engine's observer (no timing): a step's rows less the
 * frames its sessions consumed are its prefill rows.
 */
class PromptCacheTest {
  static final int FRAMES = 12;
  @TempDir static Path dir;
  static SpeechModel model;
  static float[] voice;
  static float[] user;
  static float[] liveAudio;
  static long promptSteps; // the golden prompt's, as the reference counted them

  @BeforeAll
  static void load() throws Exception {
    model = PersonaPlexTiny.load(dir);
    voice = PersonaPlexTiny.voice();
    user = PersonaPlexTiny.userAudio(FRAMES);
    liveAudio = DialogueEngineTest.input(7, 1);
    try (SafeTensorsFile f = Golden.open("personaplex_tiny.gen.safetensors")) {
      promptSteps = f.longs("num_prompt_steps")[0];
    }
  }

  @AfterAll
  static void close() {
    model.close();
  }

  /**
   * Counts prefill rows, keeps one live session fed a frame per step, and closes a session when
   * asked at a chosen conversation step of another.
   */
  static final class Counting implements EngineObserver {
    final List<DialogueSession> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();
    final java.util.Map<DialogueSession, Long> consumed =
        new java.util.concurrent.ConcurrentHashMap<>();
    final AtomicLong prefillRows = new AtomicLong();
    final AtomicLong hitsSeen = new AtomicLong();
    volatile DialogueSession live;
    volatile DialogueSession watched;
    volatile DialogueSession closeAtThirdStep;
    final AtomicInteger watchedSteps = new AtomicInteger();
    final AtomicInteger framesAtMove = new AtomicInteger(-1);
    volatile PromptRecorder watchedOut;

    @Override
    public void stepTimed(int batch, long encode, long lm, long decode, long total) {
      long frames = 0;
      for (DialogueSession s : sessions) {
        long c = s.framesConsumed();
        long before = consumed.getOrDefault(s, 0L);
        frames += c - before;
        consumed.put(s, c);
        if (s == watched && c > before && watchedSteps.incrementAndGet() == 3) {
          framesAtMove.set(watchedOut.frames.frames.size());
          closeAtThirdStep.close();
        }
      }
      prefillRows.addAndGet(batch - frames);
      DialogueSession l = live;
      if (l != null) {
        l.offerAudio(liveAudio, 0, liveAudio.length);
      }
    }

    @Override
    public void promptCacheHit() {
      hitsSeen.incrementAndGet();
    }

    DialogueSession open(DialogueEngine e, DialogueOptions o, PromptRecorder r) throws Exception {
      DialogueSession s = e.open(o, r);
      consumed.put(s, 0L);
      sessions.add(s);
      return s;
    }
  }

  /** One prompted session's output tokens; {@code prefillRows} counts its prefill's rows. */
  static List<long[]> converse(
      Counting c, DialogueEngine e, DialogueOptions o, boolean moveAfterStart) throws Exception {
    DialogueSession blocker = null;
    if (moveAfterStart) {
      blocker = c.open(e, DialogueOptions.greedy(), new PromptRecorder()); // never steps
    }
    PromptRecorder r = new PromptRecorder();
    c.watchedOut = r;
    c.watchedSteps.set(0);
    c.closeAtThirdStep = blocker;
    DialogueSession s = c.open(e, o, r);
    if (moveAfterStart) {
      c.watched = s;
    }
    s.offerAudio(user, 0, user.length);
    r.frames.await(FRAMES);
    assertThat(r.promptDone.get(30, TimeUnit.SECONDS)).as("frames before the prompt").isZero();
    c.watched = null;
    // Kept in the counting: the step that delivered its last frame may not have been counted yet.
    s.close();
    return PromptedDialogueTest.tokens(r.frames.frames);
  }

  @Test
  void aSecondSessionWithTheSamePromptSkipsThePrefillAndGetsTheSameFramesGreedyAndSampled()
      throws Exception {
    DialoguePrompt prompt = new DialoguePrompt("You are a calm robot.", voice, "golden");
    List<long[]> greedySolo;
    try (DialogueEngine e = new DialogueEngine(model, 1, 64, EngineObserver.NONE)) {
      greedySolo = converse(new Counting(), e, PromptedDialogueTest.options(prompt), false);
    }
    assertCachedSessionsRepeat(model, prompt, promptSteps, greedySolo);
  }

  /** The same on a Moshi model's experimental text prompt (the demo model). */
  @Test
  void aMoshiPromptIsCachedToo() throws Exception {
    try (SpeechModel demo = DemoModel.build(Device.cpu())) {
      assertCachedSessionsRepeat(demo, DialoguePrompt.text("You are a calm robot."), -1, null);
    }
  }

  /**
   * In an engine with a live session fed a frame every step: a first session with {@code prompt}
   * prefills ({@code prefillSteps} rows, unless −1), a second one with the same options takes no
   * prefill row, moves down a slot after its third step, and gets the first one's frames, greedy
   * (also {@code greedySolo}, unless null) and sampled.
   */
  static void assertCachedSessionsRepeat(
      SpeechModel m, DialoguePrompt prompt, long prefillSteps, List<long[]> greedySolo)
      throws Exception {
    DialogueOptions sampled =
        new DialogueOptions(SamplingParams.DEFAULT_TEXT, SamplingParams.DEFAULT_AUDIO, 42)
            .withPrompt(prompt);
    for (DialogueOptions o :
        new DialogueOptions[] {PromptedDialogueTest.options(prompt), sampled}) {
      Counting c = new Counting();
      try (DialogueEngine e = new DialogueEngine(m, 3, 64, c)) {
        DialogueSession live = c.open(e, DialogueOptions.greedy(), new PromptRecorder());
        c.live = live;
        live.offerAudio(liveAudio, 0, liveAudio.length);

        List<long[]> first = converse(c, e, o, false);
        long firstPrefill = c.prefillRows.getAndSet(0);
        // The counting sees the prefill, which it is to see missing next.
        if (prefillSteps >= 0) {
          assertThat(firstPrefill).isEqualTo(prefillSteps);
        } else {
          assertThat(firstPrefill).isPositive();
        }
        assertThat(e.promptCacheHits()).isZero();

        List<long[]> second = converse(c, e, o, true);
        assertThat(c.prefillRows.get()).as("prefill rows of the cached session").isZero();
        assertThat(e.promptCacheHits()).isOne();
        assertThat(c.hitsSeen.get()).as("hits the metrics see").isOne();
        assertThat(c.framesAtMove.get()).as("frames out when it moved").isBetween(1, FRAMES - 1);
        assertSame(second, first, "cached vs first");
        if (o.text().greedy() && greedySolo != null) {
          assertSame(first, greedySolo, "first vs alone");
        }
        c.live = null;
      }
    }
  }

  @Test
  void anotherTextOrVoiceMissesAndACacheOfNoneNeverHits() throws Exception {
    DialoguePrompt prompt = new DialoguePrompt("You are a calm robot.", voice, "golden");
    float[] otherVoice = voice.clone();
    otherVoice[otherVoice.length / 2] += 1e-3f;
    DialoguePrompt[] others = {
      new DialoguePrompt("You are a calm cat.", voice, "golden"),
      new DialoguePrompt("You are a calm robot.", otherVoice, "golden"),
      DialoguePrompt.text("You are a calm robot.")
    };
    Counting c = new Counting();
    try (DialogueEngine e = new DialogueEngine(model, 2, 64, c)) {
      converse(c, e, PromptedDialogueTest.options(prompt), false);
      for (DialoguePrompt p : others) {
        c.prefillRows.set(0);
        converse(c, e, PromptedDialogueTest.options(p), false);
        assertThat(c.prefillRows.get()).as("prefill rows of %s", p.text()).isPositive();
      }
      assertThat(e.promptCacheHits()).isZero();
      c.prefillRows.set(0);
      converse(c, e, PromptedDialogueTest.options(others[1]), false);
      assertThat(c.prefillRows.get()).isZero();
      assertThat(e.promptCacheHits()).isOne();
    }
    Counting off = new Counting();
    try (DialogueEngine e = new DialogueEngine(model, 1, 64, off).usePromptCache(0)) {
      for (int i = 0; i < 2; i++) {
        off.prefillRows.set(0);
        converse(off, e, PromptedDialogueTest.options(prompt), false);
        assertThat(off.prefillRows.get()).isEqualTo(promptSteps);
      }
      assertThat(e.promptCacheHits()).isZero();
    }
  }

  /**
   * A one-entry cache: storing a second prompt evicts the first (the array count does not grow),
   * the evicted one misses, and closing the engine frees every array it made.
   */
  @Test
  void evictionAndEngineCloseFreeTheCachedArrays() throws Exception {
    long arrays0 = model.manager().getManagedArrays().size();
    DialoguePrompt a = new DialoguePrompt("You are a calm robot.", voice, "golden");
    DialoguePrompt b = new DialoguePrompt("You are a calm cat.", voice, "golden");
    Counting c = new Counting();
    try (DialogueEngine e = new DialogueEngine(model, 1, 64, c).usePromptCache(1)) {
      converse(c, e, PromptedDialogueTest.options(a), false);
      long withA = model.manager().getManagedArrays().size();
      converse(c, e, PromptedDialogueTest.options(b), false);
      assertThat((long) model.manager().getManagedArrays().size())
          .as("arrays with b in a's place")
          .isEqualTo(withA);
      c.prefillRows.set(0);
      converse(c, e, PromptedDialogueTest.options(a), false);
      assertThat(c.prefillRows.get()).as("a evicted: prefilled again").isEqualTo(promptSteps);
      assertThat(e.promptCacheHits()).isZero();
      converse(c, e, PromptedDialogueTest.options(a), false);
      assertThat(e.promptCacheHits()).isOne();
    }
    assertThat((long) model.manager().getManagedArrays().size()).isEqualTo(arrays0);
  }

  static void assertSame(List<long[]> actual, List<long[]> expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    for (int j = 0; j < expected.size(); j++) {
      assertThat(actual.get(j)).as("%s, frame %d", what, j).isEqualTo(expected.get(j));
    }
  }
}
