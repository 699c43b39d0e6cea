package dev.parley.client;

import dev.parley.proto.v1.SynthesisEnd;
import dev.parley.proto.v1.SynthesisReady;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.WordTiming;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A {@code Speech.Synthesize} call read as a blocking {@link Iterator} of the server's messages:
 * SynthesisReady, then audio chunks and word timings as they are produced, then SynthesisEnd. The
 * server's audio is read from the network only as fast as the iterator is read. Failures are thrown
 * by {@link #hasNext()} and {@link #next()} as {@link ParleyException}s with the server's status
 * and message; a call that closes without a SynthesisEnd fails with UNKNOWN.
 *
 * <pre>{@code
 * try (Synthesis s = client.synthesize("Hello there.", SpeechOptions.builder().voice("demo-alto").build())) {
 *   SpeechResult r = s.collect();
 *   float[] pcm = r.samples(); // 24 kHz mono
 * }
 * }</pre>
 *
 * <p>Not thread-safe. {@link #close()} cancels the call if the caller stops reading early.
 */
public final class Synthesis implements Iterator<SynthesizeResponse>, AutoCloseable {
  private final ParleyIterator<SynthesizeResponse> responses;
  private final SpeechOptions options;
  private SynthesisReady ready;
  private SynthesisEnd end;

  Synthesis(ParleyIterator<SynthesizeResponse> responses, SpeechOptions options) {
    this.responses = responses;
    this.options = options;
  }

  @Override
  public boolean hasNext() {
    if (responses.hasNext()) {
      return true;
    }
    if (end == null) {
      throw new ParleyException(
          "UNKNOWN", "the server closed the speech synthesis without a SynthesisEnd message");
    }
    return false;
  }

  @Override
  public SynthesizeResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    SynthesizeResponse r = responses.next();
    if (r.hasReady()) {
      ready = r.getReady();
    } else if (r.hasEnd()) {
      end = r.getEnd();
    }
    return r;
  }

  /** The SynthesisReady, or null before it has been read. */
  public SynthesisReady ready() {
    return ready;
  }

  /** The SynthesisEnd, or null before it has been read. */
  public SynthesisEnd end() {
    return end;
  }

  /** The options of this synthesis. */
  public SpeechOptions options() {
    return options;
  }

  /**
   * Reads the rest of the synthesis: its audio and word timings from here on, and its summary.
   *
   * @throws ParleyException the synthesis failed
   */
  public SpeechResult collect() {
    ByteArrayOutputStream audio = new ByteArrayOutputStream();
    List<WordTiming> words = new ArrayList<>();
    while (hasNext()) {
      SynthesizeResponse r = next();
      switch (r.getKindCase()) {
        case AUDIO -> audio.writeBytes(r.getAudio().getData().toByteArray());
        case WORD -> words.add(r.getWord());
        default -> {}
      }
    }
    return new SpeechResult(ready, options.outputFormat(), audio.toByteArray(), words, end);
  }

  /** Cancels the call if it is still running. */
  @Override
  public void close() {
    responses.close();
  }
}
