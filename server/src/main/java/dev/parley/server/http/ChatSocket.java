package dev.parley.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.dialogue.DialogueListener;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.dialogue.DialogueSession;
import dev.parley.server.dialogue.OutputFrame;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.wire.ChatProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code /api/chat} connection (Kyutai's protocol): binary messages of a kind byte plus
 * payload; Ogg Opus pages in, Ogg Opus pages and text pieces out. Incoming pages are decoded on the
 * connection's event loop (pure Java, no blocking) and metered into the engine session ({@link
 * MeteredSocketInput}); frames the engine produces come back on the engine thread and are encoded
 * and written on the event loop. No tensor is ever touched here.
 */
final class ChatSocket extends WebSocketSession implements DialogueListener {
  private static final Logger LOG = LoggerFactory.getLogger(ChatSocket.class);

  /**
   * Frames produced while the client was not reading before the session is closed (2 s of audio).
   */
  static final int MAX_UNREAD_FRAMES = 25;

  /** Decoded audio held back before the socket stops reading. */
  static final double MAX_PENDING_SECONDS = 2.0;

  private final DialogueEngine engine;
  private final DialogueOptions options;
  private final Map<String, Object> metadata;
  private final BooleanSupplier accepting;
  private final MeteredSocketInput input;
  private OggOpusReader reader; // the codecs are made once a slot is held: a refusal costs nothing
  private OggOpusWriter writer;
  private DialogueSession session;

  ChatSocket(
      Channel channel,
      EngineMetrics metrics,
      Duration idleTimeout,
      int maxQueuedFrames,
      DialogueEngine engine,
      DialogueOptions options,
      Map<String, Object> metadata,
      BooleanSupplier accepting) {
    super(channel, metrics, idleTimeout);
    this.engine = engine;
    this.options = options;
    this.metadata = metadata;
    this.accepting = accepting;
    this.input = new MeteredSocketInput(channel, maxQueuedFrames, MAX_PENDING_SECONDS);
  }

  /** Claims a slot, then the handshake (kind 0) and the session's metadata (kind 4). */
  @Override
  protected void opened() {
    try {
      if (!accepting.getAsBoolean()) {
        throw EngineFullException.draining();
      }
      session = engine.open(options, this);
    } catch (EngineFullException | IllegalStateException e) {
      metrics.rejected();
      fail(e.getMessage());
      return;
    }
    reader = new OggOpusReader(ModelAudio.SAMPLE_RATE, input::addAudio);
    writer =
        new OggOpusWriter(
            OggOpusWriter.Options.speech24k(), page -> send(ChatProtocol.AUDIO, page));
    if (options.prompt() == null) {
      greet();
    } // else the greeting waits for the prompt to be fed (onPromptDone)
  }

  /** The handshake (kind 0) and the session's metadata (kind 4): the conversation may start. */
  private void greet() {
    send(ChatProtocol.HANDSHAKE, ChatProtocol.HANDSHAKE_PAYLOAD);
    try {
      send(ChatProtocol.METADATA, new ObjectMapper().writeValueAsBytes(metadata));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void onPromptDone() {
    onLoop(
        () -> {
          if (!isEnding()) {
            greet();
          }
        });
  }

  // ---- client → engine (event loop) -----------------------------------------------------------

  @Override
  protected void onBinary(ByteBuf content) {
    if (!content.isReadable()) {
      return;
    }
    byte kind = content.readByte();
    if (kind != ChatProtocol.AUDIO) {
      LOG.debug("ignoring message kind {} from {}", kind, channel.remoteAddress());
      return;
    }
    byte[] page = ByteBufUtil.getBytes(content);
    try {
      long t0 = System.nanoTime();
      reader.feed(page, 0, page.length);
      metrics.audioIn(System.nanoTime() - t0);
    } catch (AudioFormatException e) {
      fail("undecodable audio: " + e.getMessage());
      return;
    }
    input.pump(session);
  }

  @Override
  protected void onText(String text) {
    sendError(
        "text frames are not part of this protocol: send binary messages (kind byte + payload)");
  }

  @Override
  protected void sendError(String message) {
    send(ChatProtocol.ERROR, message.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  protected void closeSession() {
    if (session != null) {
      session.close();
    }
  }

  // ---- engine → client (engine thread: hand off to the event loop) ----------------------------

  @Override
  public void onFrame(OutputFrame frame) {
    onLoop(
        () -> {
          if (isEnding() || !clientReading(MAX_UNREAD_FRAMES, "frames of output")) {
            return; // drop this frame's audio rather than buffer without limit
          }
          long t0 = System.nanoTime();
          writer.write(frame.pcm());
          metrics.audioOut(System.nanoTime() - t0);
          if (!frame.text().isEmpty()) {
            send(ChatProtocol.TEXT, frame.text().getBytes(StandardCharsets.UTF_8));
          }
          // Server latency: input frame complete → output frame encoded and handed to the socket.
          metrics.frameLatency(
              System.nanoTime() - frame.inputCompletedNanos(),
              frame.stepNanos(),
              frame.latencyNanos());
        });
  }

  @Override
  public void onInputConsumed(long consumed) {
    onLoop(() -> input.pump(session));
  }

  @Override
  public void onClosed(String reason) {
    sessionClosed(reason);
  }

  private void send(byte kind, byte[] payload) {
    sendBinary(ChatProtocol.encode(kind, payload));
  }
}
