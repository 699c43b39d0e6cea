package dev.parley.server.dialogue;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The post-prefill state of recently used prompts, so that a session with the same (voice, text)
 * prompt on the same model starts where the first one's prefill ended instead of running it again.
 * At most {@link #capacity} entries, least recently used evicted; each entry's arrays live in a
 * sub-manager of the cache's (made by the first store), closed on eviction and on {@link #close}.
 * Engine thread only, except the capacity and counters.
 *
 * @param <T> the state one entry holds
 */
final class PrefillCache<T> implements AutoCloseable {
  /** Default number of entries. */
  static final int DEFAULT_ENTRIES = 8;

  /** What a prefill's result depends on: the model, the exact voice samples and the text. */
  record Key(String model, String voiceSha256, String text) {
    static Key of(String model, DialoguePrompt prompt) {
      return new Key(model, prompt.voice() == null ? null : sha256(prompt.voice()), prompt.text());
    }

    private static String sha256(float[] samples) {
      try {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        ByteBuffer b = ByteBuffer.allocate(4 * samples.length);
        b.asFloatBuffer().put(samples);
        return HexFormat.of().formatHex(d.digest(b.array()));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e); // every JVM has SHA-256
      }
    }
  }

  private record Entry<T>(NDManager manager, T state) {}

  private final NDManager parent;
  private NDManager manager; // made by the first store
  private final LinkedHashMap<Key, Entry<T>> entries = new LinkedHashMap<>(16, 0.75f, true);
  private final AtomicLong hits = new AtomicLong();
  private volatile int capacity = DEFAULT_ENTRIES;

  PrefillCache(NDManager parent) {
    this.parent = parent;
  }

  /** At most {@code entries} entries from the next store on (0: no caching). */
  void capacity(int entries) {
    if (entries < 0) {
      throw new IllegalArgumentException("prompt cache entries must be 0 or more");
    }
    capacity = entries;
  }

  int capacity() {
    return capacity;
  }

  /** The state stored for {@code key}, or null; a hit makes it the most recently used. */
  T get(Key key) {
    Entry<T> e = entries.get(key);
    if (e == null) {
      return null;
    }
    hits.incrementAndGet();
    return e.state();
  }

  /**
   * Stores what {@code copy} makes (its arrays in the manager it is given) for {@code key}, unless
   * stored already or caching is off; evicts the least recently used entries past the capacity.
   */
  void store(Key key, Function<NDManager, T> copy) {
    int cap = capacity;
    if (cap > 0 && !entries.containsKey(key)) {
      if (manager == null) {
        manager = parent.newSubManager();
      }
      NDManager m = manager.newSubManager();
      try {
        entries.put(key, new Entry<>(m, copy.apply(m)));
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    }
    Iterator<Map.Entry<Key, Entry<T>>> it = entries.entrySet().iterator();
    while (entries.size() > cap && it.hasNext()) {
      it.next().getValue().manager().close();
      it.remove();
    }
  }

  int size() {
    return entries.size();
  }

  /** Sessions that started from a stored state. */
  long hits() {
    return hits.get();
  }

  @Override
  public void close() {
    entries.clear();
    if (manager != null) {
      manager.close();
      manager = null;
    }
  }
}
