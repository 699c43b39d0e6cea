package dev.parley.server.dialogue;

import ai.djl.ndarray.NDManager;
import dev.parley.server.engine.EngineLoop;
import dev.parley.server.engine.EngineObserver;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A dialogue step's use of its {@link PrefillCache}: a prompted session starts from a cached state
 * when there is one (its prompt done at once), else its slot remembers the prompt's key until the
 * prefill is done and its state is stored. The keys follow sessions when they move. Engine thread
 * only.
 *
 * @param <T> the state the step's generator copies out and back
 */
final class CachedPrefills<T> {
  private final PrefillCache<T> cache;
  private final String model;
  private final EngineLoop<DialogueSession> loop;
  private final EngineObserver observer;
  private final PrefillCache.Key[] keys; // each prefilling slot's

  CachedPrefills(
      PrefillCache<T> cache,
      String model,
      int maxSessions,
      EngineLoop<DialogueSession> loop,
      EngineObserver observer) {
    this.cache = cache;
    this.model = model;
    this.loop = loop;
    this.observer = observer;
    this.keys = new PrefillCache.Key[maxSessions];
  }

  /**
   * Whether the session (with a prompt) starts from a cached state, given to {@code restore}, its
   * prompt then done; false: it is to prefill.
   */
  boolean startFromCache(DialogueSession session, Consumer<T> restore) {
    int s = session.slot();
    PrefillCache.Key key = PrefillCache.Key.of(model, session.options().prompt());
    T done = cache.get(key);
    if (done == null) {
      keys[s] = key;
      return false;
    }
    keys[s] = null;
    restore.accept(done);
    observer.promptCacheHit();
    loop.deliver(session, () -> session.listener().onPromptDone());
    return true;
  }

  /** A session starts without a prompt. */
  void startUnprompted(int slot) {
    keys[slot] = null;
  }

  /**
   * The session's prefill is done: its state, copied by {@code copy}, is stored, and its listener
   * told its prompt is done, as when it starts from the cache.
   */
  void prefillDone(DialogueSession session, Function<NDManager, T> copy) {
    int slot = session.slot();
    PrefillCache.Key key = keys[slot];
    if (key != null) {
      keys[slot] = null;
      cache.store(key, copy);
    }
    loop.deliver(session, () -> session.listener().onPromptDone());
  }

  void move(int from, int to) {
    keys[to] = keys[from];
    keys[from] = null;
  }

  void close() {
    cache.close();
  }
}
