package dev.parley.server.http;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.stt.SttListener;
import dev.parley.server.stt.SttOptions;
import dev.parley.server.stt.SttSession;
import dev.parley.server.stt.SttStep;
import dev.parley.server.wire.AsrMessages;
import dev.parley.server.wire.AsrProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import java.time.Duration;

/**
 * One {@code /api/asr-streaming} connection, moshi-server's streaming STT protocol: MessagePack
 * maps tagged by {@code type}. In: {@code Audio{pcm}}, {@code OggOpus{data}}, {@code Marker{id}},
 * {@code Init}; out: {@code Ready}, {@code Word}, {@code EndWord}, {@code Step} (models with pause
 * heads), {@code Marker}, {@code Error}.
 *
 * <p>Input is metered ({@link MeteredSocketInput}), so a client streaming a file (Kyutai's file
 * client sends it, then 35 s of silence, at full speed) is slowed by TCP instead of refused. A
 * malformed message gets an {@code Error} and the connection closes; other sessions are untouched.
 * Engine events arrive on the engine thread and are handed to the event loop.
 */
final class AsrSocket extends WebSocketSession implements SttListener {
  /** Decoded audio held back before the socket stops reading. */
  static final double MAX_PENDING_SECONDS = 2.0;

  /** Messages waiting for a client that does not read before it is dropped. */
  static final int MAX_UNREAD_MESSAGES = 500;

  private final SttEngine engine;
  private final AsrMessages codec;
  private final boolean sendSteps;
  private final MeteredSocketInput input;
  private SttSession session;
  private OggOpusReader ogg; // created by the first OggOpus message

  AsrSocket(
      Channel channel,
      EngineMetrics metrics,
      Duration idleTimeout,
      int maxQueuedFrames,
      SttEngine engine,
      AsrMessages codec) {
    super(channel, metrics, idleTimeout);
    this.engine = engine;
    this.codec = codec;
    this.sendSteps = engine.pauseHeads() > 0;
    this.input = new MeteredSocketInput(channel, maxQueuedFrames, MAX_PENDING_SECONDS);
  }

  /** Claims a slot; {@code Ready} tells the client it may start. */
  @Override
  protected void opened() {
    try {
      session = engine.open(SttOptions.defaults(), this);
    } catch (EngineFullException e) {
      metrics.rejected();
      fail(e.isDraining() ? e.getMessage() : "no free channels: " + e.getMessage());
      return;
    } catch (IllegalStateException e) {
      fail(e.getMessage());
      return;
    }
    send(new AsrMessages.Out.Ready());
  }

  // ---- client → engine (event loop) -----------------------------------------------------------

  @Override
  protected void onBinary(ByteBuf content) {
    if (session == null) {
      return;
    }
    try {
      AsrMessages.In message = codec.decodeIn(ByteBufUtil.getBytes(content));
      if (message instanceof AsrMessages.In.Audio a) {
        input.addAudio(a.pcm(), 0, a.pcm().length);
      } else if (message instanceof AsrMessages.In.OggOpus o) {
        if (ogg == null) {
          ogg = new OggOpusReader(ModelAudio.SAMPLE_RATE, input::addAudio);
        }
        ogg.feed(o.data());
      } else if (message instanceof AsrMessages.In.Marker m) {
        input.addMarker(m.id());
      } // Init: nothing to do, the session is ready
    } catch (AsrProtocolException e) {
      fail(e.getMessage());
      return;
    } catch (AudioFormatException e) {
      fail("undecodable OggOpus data: " + e.getMessage());
      return;
    }
    input.pump(session);
  }

  @Override
  protected void onText(String text) {
    fail("text frames are not part of this protocol: send MessagePack maps in binary frames");
  }

  @Override
  protected void sendError(String message) {
    sendBinary(AsrMessages.encode(new AsrMessages.Out.Error(message)));
  }

  @Override
  protected void closeSession() {
    if (session != null) {
      session.close();
    }
  }

  // ---- engine → client (engine thread: hand off to the event loop) ----------------------------

  @Override
  public void onStep(SttStep step) {
    onLoop(
        () -> {
          input.pump(session);
          if (sendSteps) {
            send(AsrMessages.step(step));
          }
        });
  }

  @Override
  public void onWord(int index, String text, double startSeconds) {
    onLoop(() -> send(new AsrMessages.Out.Word(text, startSeconds)));
  }

  @Override
  public void onWordEnd(int index, double stopSeconds) {
    onLoop(() -> send(new AsrMessages.Out.EndWord(stopSeconds)));
  }

  @Override
  public void onMarker(long id) {
    onLoop(() -> send(new AsrMessages.Out.Marker(id)));
  }

  @Override
  public void onClosed(String reason) {
    sessionClosed(reason);
  }

  /**
   * Words are never dropped: Netty buffers them, up to a bound for a client that stopped reading.
   */
  private void send(AsrMessages.Out message) {
    if (isEnding()) {
      return;
    }
    clientReading(MAX_UNREAD_MESSAGES, "messages");
    if (!isEnding()) {
      sendBinary(AsrMessages.encode(message));
    }
  }
}
