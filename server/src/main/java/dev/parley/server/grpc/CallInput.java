package dev.parley.server.grpc;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.format.AudioStreamDecoder;
import dev.parley.codec.format.StreamFormat;
import dev.parley.server.engine.MeteredFeed;
import dev.parley.server.metrics.EngineMetrics;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * The input side of a streaming call that feeds a session: the client's audio is decoded to 24 kHz,
 * waits here, and enters the session as its frame queue frees; the next request message is asked
 * for only once everything before it is in, so a client sending faster than the engine consumes is
 * held back by HTTP/2 flow control instead of being refused. Thread-safe: gRPC's threads and the
 * engine thread both pump.
 */
final class CallInput {
  private final RequestMeter requests;
  private final ResponseStream<?> responses;
  private final EngineMetrics metrics;
  private final String configName;
  private final MeteredFeed pending = new MeteredFeed();
  private AudioStreamDecoder decoder;
  private MeteredFeed.Target session;
  private int room;
  private boolean endOfInput;

  /**
   * Takes over the call's inbound flow control; {@code configName} names the first message in
   * errors.
   */
  CallInput(
      ServerCallStreamObserver<?> call,
      ResponseStream<?> responses,
      EngineMetrics metrics,
      String configName) {
    this.requests = new RequestMeter(call, responses);
    this.responses = responses;
    this.metrics = metrics;
    this.configName = configName;
  }

  /** A decoder of the client's format whose audio waits here. */
  AudioStreamDecoder decoder(StreamFormat input) {
    return AudioStreamDecoder.create(input, ProtoMapping.MODEL_RATE, pending::addAudio);
  }

  /** The session is open: audio goes into it from now on. */
  synchronized void open(AudioStreamDecoder dec, MeteredFeed.Target s, int maxQueuedFrames) {
    decoder = dec;
    session = s;
    room = MeteredFeed.room(maxQueuedFrames);
  }

  synchronized boolean isOpen() {
    return session != null;
  }

  /** A request message arrived. */
  void received() {
    requests.received();
  }

  /** Asks for the first request message. */
  void requestFirst() {
    requests.requestNext();
  }

  /** One message of audio in the client's format. */
  void audio(byte[] data) throws AudioFormatException {
    synchronized (this) {
      if (session == null) {
        throw new IllegalArgumentException("the first message must be a " + configName);
      }
      if (endOfInput) {
        throw new IllegalArgumentException("audio after END_OF_INPUT");
      }
      metrics.bytesIn(data.length);
      long t0 = System.nanoTime();
      decoder.feed(data);
      metrics.audioIn(System.nanoTime() - t0);
    }
  }

  /** A marker after the audio so far. */
  synchronized void marker(long id) {
    pending.addMarker(id);
  }

  /** No more audio (END_OF_INPUT or a half-close); the decoder's last samples wait here. */
  void endInput() throws AudioFormatException {
    synchronized (this) {
      if (session == null) {
        throw new IllegalArgumentException("the stream ended before its " + configName);
      }
      if (!endOfInput) {
        endOfInput = true;
        decoder.finish();
      }
    }
  }

  /**
   * Moves what the session has room for into it; asks for the next request message once all is in.
   * Returns true when the input has ended and all of it is in the session.
   */
  boolean pump() {
    boolean request;
    boolean allInAndEnded = false;
    synchronized (this) {
      if (responses.isEnded()) {
        return false;
      }
      if (session == null) {
        request = true;
      } else {
        boolean allIn = pending.pumpInto(session, room);
        request = allIn && !endOfInput;
        allInAndEnded = allIn && endOfInput;
      }
    }
    if (request) {
      requests.requestNext();
    }
    return allInAndEnded;
  }
}
