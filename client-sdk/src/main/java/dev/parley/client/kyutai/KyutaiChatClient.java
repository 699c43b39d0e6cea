package dev.parley.client.kyutai;

import dev.parley.codec.audio.AudioFormatException;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.codec.opus.OggOpusReader;
import dev.parley.codec.opus.OggOpusWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client of Kyutai's full-duplex {@code /api/chat} WebSocket protocol, spoken by Parley (port
 * 8998) and by Kyutai's own moshi servers. {@link #connect} returns once the server's handshake has
 * arrived; then {@link #sendPcm(float[])} streams 24 kHz mono audio as Ogg Opus, one page per
 * message, while the server's voice (decoded to float PCM), text, metadata and errors go to the
 * {@link KyutaiChatListener}.
 *
 * <p>The protocol has no "end of input": keep sending (silence, if need be) for as long as replies
 * are wanted, then {@link #close()}. Thread-safe.
 */
public final class KyutaiChatClient implements AutoCloseable {
  /** The protocol's audio rate. */
  public static final int SAMPLE_RATE = ModelAudio.SAMPLE_RATE;

  private final KyutaiChatListener listener;
  private final long maxBufferedBytes;
  private final CompletableFuture<byte[]> handshake = new CompletableFuture<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final AtomicLong bufferedBytes = new AtomicLong();
  private final MessageAssembler assembler;
  private final OggOpusReader reader;
  private final OggOpusWriter writer;
  private volatile WebSocket socket;
  private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
  private volatile Throwable failure;
  private long sentSamples;

  private KyutaiChatClient(KyutaiChatOptions options, KyutaiChatListener listener) {
    this.listener = listener;
    this.maxBufferedBytes = options.maxBufferedBytes();
    this.assembler = new MessageAssembler(options.maxMessageBytes());
    this.reader =
        new OggOpusReader(
            SAMPLE_RATE,
            (pcm, off, len) -> listener.onAudio(Arrays.copyOfRange(pcm, off, off + len)));
    this.writer = new OggOpusWriter(OggOpusWriter.Options.speech24k(), this::sendPage);
  }

  /**
   * Opens {@code ws[s]://host:port/api/chat} with the options' query parameters and headers, and
   * waits for the server's handshake.
   *
   * @throws KyutaiChatException if the connection or the handshake fails or times out
   */
  public static KyutaiChatClient connect(
      URI uri, KyutaiChatOptions options, KyutaiChatListener listener) throws InterruptedException {
    KyutaiChatClient client = new KyutaiChatClient(options, listener);
    HttpClient http = HttpClient.newBuilder().connectTimeout(options.connectTimeout()).build();
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(options.connectTimeout());
    if (options.apiKey() != null) {
      b.header("Authorization", "Bearer " + options.apiKey());
      b.header("kyutai-api-key", options.apiKey());
    }
    URI target = options.chatUri(uri);
    try {
      client.socket =
          b.buildAsync(target, client.new Receiver())
              .get(options.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new KyutaiChatException(
          "cannot open " + target + ": " + describe(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new KyutaiChatException(
          "cannot open " + target + ": no answer within " + options.connectTimeout());
    }
    try {
      client.handshake.get(options.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      client.socket.abort();
      throw new KyutaiChatException(
          "no handshake from " + target + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      client.socket.abort();
      throw new KyutaiChatException(
          "no handshake from " + target + " within " + options.handshakeTimeout());
    }
    return client;
  }

  /** A refused upgrade says its HTTP status and body; a refused connection says so. */
  private static String describe(Throwable t) {
    if (t instanceof WebSocketHandshakeException h) {
      Object body = h.getResponse().body();
      return "HTTP "
          + h.getResponse().statusCode()
          + (body instanceof String s && !s.isBlank() ? " " + s.strip() : "");
    }
    if (t instanceof java.net.ConnectException) {
      return "connection refused (is the server listening there?)";
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /**
   * Encodes mono 24 kHz samples in [-1, 1] to Ogg Opus and sends each completed page (every 80 ms
   * of audio) as its own message.
   *
   * @throws KyutaiChatException if the socket failed or more than the options' limit waits to be
   *     sent
   */
  public synchronized void sendPcm(float[] pcm24k) {
    if (failure != null) {
      throw new KyutaiChatException("the chat failed: " + failure.getMessage(), failure);
    }
    if (closed.isDone()) {
      throw new KyutaiChatException("the chat is closed");
    }
    writer.write(pcm24k);
    sentSamples += pcm24k.length;
  }

  /** Samples given to {@link #sendPcm} so far. */
  public synchronized long samplesSent() {
    return sentSamples;
  }

  /** Ogg bytes handed to the socket but not yet written. */
  public long bufferedBytes() {
    return bufferedBytes.get();
  }

  /** The handshake payload (version bytes; empty from Kyutai's Python server). */
  public byte[] handshakePayload() {
    return handshake.getNow(new byte[0]).clone();
  }

  /** True once the connection closed or failed. */
  public boolean isClosed() {
    return closed.isDone();
  }

  /**
   * Waits for the connection to close.
   *
   * @return false if {@code timeout} passed first
   */
  public boolean awaitClosed(Duration timeout) throws InterruptedException {
    try {
      closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  /** Sends what is queued, closes normally and waits up to five seconds for the server's close. */
  @Override
  public void close() {
    CompletableFuture<?> sent;
    synchronized (this) {
      sent = lastSend;
    }
    try {
      sent.get(5, TimeUnit.SECONDS);
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
      closed.get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // the server did not answer the close: drop the connection
    } finally {
      socket.abort();
      closed.complete(WebSocket.NORMAL_CLOSURE);
    }
  }

  /**
   * The JDK's WebSocket allows one outstanding send: pages are chained, and their bytes bounded.
   */
  private void sendPage(byte[] page) {
    byte[] message = new KyutaiMessage.Audio(page).encode();
    long queued = bufferedBytes.addAndGet(message.length);
    if (queued > maxBufferedBytes) {
      bufferedBytes.addAndGet(-message.length);
      throw new KyutaiChatException(
          "send buffer full: "
              + (queued - message.length)
              + " bytes wait for the socket "
              + "(limit "
              + maxBufferedBytes
              + "); the server reads slower than audio is sent");
    }
    lastSend =
        lastSend
            .thenCompose(x -> socket.sendBinary(ByteBuffer.wrap(message), true))
            .whenComplete(
                (ws, t) -> {
                  bufferedBytes.addAndGet(-message.length);
                  if (t != null && failure == null) {
                    failure = t;
                  }
                });
  }

  private void dispatch(KyutaiMessage m) throws AudioFormatException {
    // Control, ping and unknown kinds are ignored, as the protocol asks.
    if (m instanceof KyutaiMessage.Handshake h) {
      handshake.complete(h.payload());
    } else if (m instanceof KyutaiMessage.Audio a) {
      reader.feed(a.oggBytes());
    } else if (m instanceof KyutaiMessage.Text t) {
      listener.onText(t.text());
    } else if (m instanceof KyutaiMessage.Metadata md) {
      listener.onMetadata(md.json());
    } else if (m instanceof KyutaiMessage.Error e) {
      listener.onServerError(e.message());
    }
  }

  /** Receives frames on the WebSocket's thread, asking for one message at a time. */
  private final class Receiver implements WebSocket.Listener {
    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      try {
        byte[] message = assembler.add(data, last);
        if (message != null && message.length > 0) {
          dispatch(KyutaiMessage.decode(message));
        }
        webSocket.request(1);
      } catch (AudioFormatException | RuntimeException e) {
        fail(e);
        webSocket.abort();
      }
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      webSocket.request(1); // the protocol is binary; servers never send text frames
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      if (!handshake.isDone()) {
        handshake.completeExceptionally(
            new KyutaiChatException("closed before the handshake: " + statusCode + " " + reason));
      }
      if (closed.complete(statusCode)) {
        flushDecoder();
        listener.onClosed(statusCode, reason);
      }
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      fail(error);
    }

    /** The decoder holds back a few samples until the stream ends. */
    private void flushDecoder() {
      if (reader.head() == null) {
        return;
      }
      try {
        reader.finish();
      } catch (AudioFormatException e) {
        // a stream cut short by the close: what was decodable has been delivered
      }
    }

    private void fail(Throwable error) {
      failure = error;
      handshake.completeExceptionally(error);
      if (closed.complete(-1)) {
        listener.onFailure(error);
      }
    }
  }
}
