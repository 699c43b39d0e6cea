package dev.parley.server.http;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusWriter;
import dev.parley.server.engine.EngineFullException;
import dev.parley.server.metrics.EngineMetrics;
import dev.parley.server.tts.TtsConfig;
import dev.parley.server.tts.TtsEngine;
import dev.parley.server.tts.TtsListener;
import dev.parley.server.tts.TtsOptions;
import dev.parley.server.tts.TtsSession;
import dev.parley.server.tts.TtsWord;
import dev.parley.server.tts.Voice;
import dev.parley.server.wire.TtsMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code /api/tts_streaming} connection: moshi-server's streaming TTS protocol (its {@code Py}
 * module, {@code py_module.rs}). In: WebSocket text frames (words), or binary MessagePack {@code
 * Text{text}}, {@code Voice{embeddings, shape}} (before the first text), {@code Eos}; the binary
 * frame {@code "\0"} is also the end of text. Out, by the query's {@code format}: {@code OggOpus}
 * (the default: Ogg pages as binary frames, the header pages first), {@code OggOpusMessagePack}
 * ({@code OggOpus{data}}), {@code Pcm} (little-endian float 32 samples, 1920 a frame) or {@code
 * PcmMessagePack} ({@code Audio{pcm}}); the MessagePack formats also carry {@code Ready} (a
 * synthesis slot is held), a {@code Text{text, start_s, stop_s}} per spoken word and {@code
 * Error{message}}. The server closes the socket once the last word is spoken (an Ogg stream gets
 * its end-of-stream page first); an {@code Eos} before any text closes it at once, with no audio,
 * as moshi-server does.
 *
 * <p>A slot is claimed when the socket opens (off the event loop: a voice may have to be read), so
 * {@code Ready} means a slot is held; messages that arrive meanwhile wait. A {@code Voice} before
 * the first text reopens the synthesis with that voice. Errors (a malformed message, a text past
 * the limit, an unknown voice) end this connection only: an {@code Error} message in the
 * MessagePack formats, then a close with code 1008 and the reason. Output is back-pressured: while
 * the socket is not writable the engine does not step this session. Engine events arrive on the
 * engine thread and are handed to the connection's event loop, where all the state here lives.
 */
final class TtsSocket extends WebSocketSession {
  private static final Logger LOG = LoggerFactory.getLogger(TtsSocket.class);

  /** Client messages held while a slot is being opened. */
  static final int MAX_QUEUED_MESSAGES = 10_000;

  /** Frames handed to the event loop but not yet written before the engine pauses the session. */
  static final int MAX_PENDING_FRAMES = 8;

  static final int FRAME_SAMPLES = ModelAudio.FRAME_SAMPLES;

  /** moshi-server's {@code StreamingOutput}, spelled as its query parameter. */
  enum Format {
    OggOpus,
    OggOpusMessagePack,
    Pcm,
    PcmMessagePack;

    boolean messagePack() {
      return this == OggOpusMessagePack || this == PcmMessagePack;
    }

    boolean ogg() {
      return this == OggOpus || this == OggOpusMessagePack;
    }

    /** The format named {@code s} (exact spelling, as serde reads it); null or empty: OggOpus. */
    static Format parse(String s) {
      if (s == null || s.isEmpty()) {
        return OggOpus;
      }
      for (Format f : values()) {
        if (f.name().equals(s)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "unknown format '"
              + s
              + "': expected OggOpus, OggOpusMessagePack, Pcm or PcmMessagePack");
    }
  }

  private final TtsEngine engine;
  private final Format format;
  private final TtsOptions options;
  private final Executor opener;
  private final AtomicInteger pendingFrames = new AtomicInteger();

  // Event loop only.
  private Synthesis current; // the synthesis in use; null while one opens and once it is over
  private boolean opening;
  private boolean readySent;
  private boolean textStarted;
  private boolean eos;
  private final ArrayDeque<TtsMessages.In> queued = new ArrayDeque<>();
  private OggOpusWriter ogg;
  private final ByteArrayOutputStream pages = new ByteArrayOutputStream();

  TtsSocket(
      Channel channel,
      TtsEngine engine,
      EngineMetrics metrics,
      Format format,
      TtsOptions options,
      Executor opener,
      Duration idleTimeout) {
    super(channel, metrics, idleTimeout);
    this.engine = engine;
    this.format = format;
    this.options = options;
    this.opener = opener;
  }

  /** Claims a slot with the query's options (off the event loop: a voice may have to be read). */
  @Override
  protected void opened() {
    open(options);
  }

  // ---- opening (a worker thread, then the event loop) -----------------------------------------

  private void open(TtsOptions opts) {
    opening = true;
    Synthesis s = new Synthesis();
    try {
      opener.execute(
          () -> {
            TtsSession session = null;
            String error = null;
            boolean full = false;
            try {
              session = engine.open(opts, s);
            } catch (EngineFullException e) {
              full = true;
              error = e.isDraining() ? e.getMessage() : "no free channels: " + e.getMessage();
            } catch (RuntimeException e) { // unknown voice, a voice of the wrong shape, shut down
              error = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            TtsSession opened = session;
            String why = error;
            boolean wasFull = full;
            try {
              channel.eventLoop().execute(() -> opened(s, opened, why, wasFull));
            } catch (RejectedExecutionException e) {
              if (opened != null) {
                opened.close();
              }
            }
          });
    } catch (RejectedExecutionException e) {
      opening = false;
      fail("server is shutting down");
    }
  }

  private void opened(Synthesis s, TtsSession session, String error, boolean full) {
    opening = false;
    if (session == null) {
      if (full) {
        metrics.rejected();
      }
      fail(error);
      return;
    }
    s.session = session;
    if (isEnding()) {
      session.close();
      return;
    }
    current = s;
    session.setOutputReady(() -> channel.isWritable() && pendingFrames.get() < MAX_PENDING_FRAMES);
    if (!readySent) {
      readySent = true;
      if (format.messagePack()) {
        sendBinary(TtsMessages.encode(new TtsMessages.Out.Ready()));
      }
      if (format.ogg()) {
        ogg = new OggOpusWriter(OggOpusWriter.Options.speech24k(), pages::writeBytes);
        ogg.flush(); // the OpusHead and OpusTags pages, in one message as moshi-server sends them
        flushPages();
      }
    }
    if (s.closedSeen) { // the engine ended it before we got here
      ended(s, s.closedReason);
      return;
    }
    while (!opening && !isEnding() && !queued.isEmpty()) {
      handle(queued.poll());
    }
  }

  // ---- client → engine (event loop) -----------------------------------------------------------

  @Override
  protected void onText(String text) {
    handle(new TtsMessages.In.Text(text));
  }

  @Override
  protected void onBinary(ByteBuf content) {
    byte[] bytes = ByteBufUtil.getBytes(content);
    if (bytes.length == 1 && bytes[0] == 0) {
      handle(new TtsMessages.In.Eos());
      return;
    }
    TtsMessages.In message;
    try {
      message = TtsMessages.get().decodeIn(bytes);
    } catch (TtsMessages.ProtocolException e) {
      fail(e.getMessage());
      return;
    }
    handle(message);
  }

  private void handle(TtsMessages.In message) {
    if (isEnding()) {
      return;
    }
    if (opening) {
      if (queued.size() >= MAX_QUEUED_MESSAGES) {
        fail("more than " + MAX_QUEUED_MESSAGES + " messages sent before the synthesis was ready");
      } else {
        queued.add(message);
      }
      return;
    }
    if (current == null) {
      return; // over: its end or error is on its way
    }
    if (message instanceof TtsMessages.In.Text t) {
      if (eos) {
        fail("text after the end of text (Eos)");
        return;
      }
      if (t.text().isBlank()) {
        return;
      }
      try {
        current.session.pushText(t.text() + " "); // each message holds whole words
        textStarted = true;
      } catch (IllegalArgumentException e) {
        fail(e.getMessage());
      } catch (IllegalStateException e) {
        LOG.debug("text for a closed synthesis: {}", e.getMessage()); // its onClosed says why
      }
    } else if (message instanceof TtsMessages.In.Voice v) {
      voice(v);
    } else if (message instanceof TtsMessages.In.Eos) {
      if (eos) {
        return;
      }
      eos = true;
      if (!textStarted) { // moshi-server frees the channel at once: no audio
        closeSession();
        endNormally("end of text before any text");
      } else {
        current.session.endOfText();
      }
    }
  }

  private void voice(TtsMessages.In.Voice v) {
    if (textStarted || eos) {
      fail("a Voice message must come before the first text");
      return;
    }
    TtsConfig cfg = engine.model().config();
    if (!cfg.multiSpeaker()) {
      fail(
          "model "
              + engine.model().name()
              + " has no voice conditioning: it takes no Voice message");
      return;
    }
    Voice voice;
    try {
      voice =
          Voice.fromClient(v.embeddings(), v.shape(), cfg.conditioners().get("speaker_wavs").dim());
    } catch (IllegalArgumentException e) {
      fail(e.getMessage());
      return;
    }
    // The slot is claimed again with the client's voice. What the client sent after the Voice
    // (while the first synthesis was still opening) stays queued for the new one.
    closeSynthesis();
    open(options.withCustomVoice(voice));
  }

  @Override
  protected void closeSession() {
    queued.clear();
    closeSynthesis();
  }

  private void closeSynthesis() {
    Synthesis s = current;
    current = null;
    if (s != null) {
      s.session.close();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    Synthesis s = current;
    if (s != null && channel.isWritable()) {
      s.session.wakeUp();
    }
    super.channelWritabilityChanged(ctx);
  }

  // ---- engine → client (engine thread: hand off to the event loop) ----------------------------

  /** The listener of one engine session (a Voice message replaces the first). */
  private final class Synthesis implements TtsListener {
    TtsSession session; // set on the event loop once open
    boolean closedSeen;
    String closedReason;

    @Override
    public void onAudio(float[] pcm) {
      float[] copy = pcm.clone();
      pendingFrames.incrementAndGet();
      onLoop(
          () -> {
            int left = pendingFrames.decrementAndGet();
            if (current == this && !isEnding()) {
              writeAudio(copy);
            }
            if (left == MAX_PENDING_FRAMES - 1 && session != null) {
              session.wakeUp();
            }
          });
    }

    @Override
    public void onWord(TtsWord word) {
      if (format.messagePack()) {
        onLoop(
            () -> {
              if (current == this && !isEnding()) {
                sendBinary(
                    TtsMessages.encode(
                        new TtsMessages.Out.Text(
                            word.text(), word.startSeconds(), word.endSeconds())));
              }
            });
      }
    }

    @Override
    public void onClosed(String reason) {
      onLoop(
          () -> {
            closedSeen = true;
            closedReason = reason;
            if (current == this) {
              ended(this, reason);
            }
          });
    }
  }

  /** The synthesis in use ended: normally (reason null) or with an error. */
  private void ended(Synthesis s, String reason) {
    current = null;
    if (isEnding()) {
      return;
    }
    if (reason != null) {
      fail(reason);
      return;
    }
    if (ogg != null) {
      ogg.close(); // the end-of-stream page: its granule trims the codec's padding
      flushPages();
    }
    endNormally("end of synthesis");
  }

  private void writeAudio(float[] pcm) {
    switch (format) {
      case Pcm -> {
        ByteBuffer b = ByteBuffer.allocate(pcm.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(pcm);
        sendBinary(b.array());
      }
      case PcmMessagePack -> sendBinary(TtsMessages.encode(new TtsMessages.Out.Audio(pcm)));
      case OggOpus, OggOpusMessagePack -> {
        long t0 = System.nanoTime();
        ogg.write(pcm);
        metrics.audioOut(System.nanoTime() - t0);
        flushPages();
      }
    }
  }

  /** The Ogg pages written since the last call, as one message. */
  private void flushPages() {
    if (pages.size() == 0) {
      return;
    }
    byte[] data = pages.toByteArray();
    pages.reset();
    sendBinary(
        format == Format.OggOpus ? data : TtsMessages.encode(new TtsMessages.Out.OggOpus(data)));
  }

  /** The MessagePack formats carry an {@code Error}; the others only the close reason. */
  @Override
  protected void sendError(String message) {
    if (format.messagePack()) {
      sendBinary(TtsMessages.encode(new TtsMessages.Out.Error(message)));
    }
  }
}
