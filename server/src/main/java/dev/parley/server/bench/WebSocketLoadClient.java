package dev.parley.server.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/** A load client on Kyutai's /api/chat protocol: each page is one binary message of kind 1. */
final class WebSocketLoadClient implements LoadClient {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final WebSocket socket;
  // java.net.http allows one outstanding send per socket: each page waits for the previous one.
  private CompletableFuture<WebSocket> lastSend;

  WebSocketLoadClient(int port, AtomicLong received) {
    this(port, received, t -> {});
  }

  /** {@code audioArrived} gets the time ({@link System#nanoTime}) each audio message began. */
  WebSocketLoadClient(int port, AtomicLong received, LongConsumer audioArrived) {
    boolean[] messageStart = {true};
    socket =
        HTTP.newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + port + "/api/chat"),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                    if (messageStart[0] && data.hasRemaining() && data.get(data.position()) == 1) {
                      audioArrived.accept(System.nanoTime());
                    }
                    messageStart[0] = last;
                    received.addAndGet(data.remaining());
                    ws.request(1);
                    return null;
                  }
                })
            .join();
    lastSend = CompletableFuture.completedFuture(socket);
  }

  @Override
  public synchronized void sendPage(byte[] page) {
    byte[] msg = new byte[page.length + 1];
    msg[0] = 1;
    System.arraycopy(page, 0, msg, 1, page.length);
    lastSend = lastSend.thenCompose(ws -> ws.sendBinary(ByteBuffer.wrap(msg), true));
  }

  @Override
  public synchronized void close() {
    lastSend.thenCompose(ws -> ws.sendClose(WebSocket.NORMAL_CLOSURE, "done"));
  }
}
