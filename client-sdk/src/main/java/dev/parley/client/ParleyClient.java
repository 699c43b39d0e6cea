package dev.parley.client;

import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListVoicesRequest;
import dev.parley.proto.v1.ListVoicesResponse;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.TranscribeConfig;
import dev.parley.proto.v1.TranscriptionGrpc;
import io.grpc.CallCredentials;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.AbstractStub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * A connection to a Parley server over gRPC. One client serves any number of concurrent calls;
 * close it when done.
 *
 * <pre>{@code
 * try (ParleyClient client = ParleyClient.builder().target("localhost:9998").apiKey(key).build()) {
 *   List<ModelInfo> models = client.models();
 * }
 * }</pre>
 */
public final class ParleyClient implements AutoCloseable {
  /** The server's default gRPC port. */
  public static final int DEFAULT_PORT = 9998;

  private final ManagedChannel channel;
  private final CallCredentials credentials;
  private final Duration deadline;
  private final String target;

  private ParleyClient(
      ManagedChannel channel, CallCredentials credentials, Duration deadline, String target) {
    this.channel = channel;
    this.credentials = credentials;
    this.deadline = deadline;
    this.target = target;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** "host:port" this client talks to, or its balanced target (several servers). */
  public String target() {
    return target;
  }

  /**
   * Opens a full-duplex conversation; the SessionConfig is sent at once.
   *
   * @param listener receives the server's messages on a gRPC thread
   */
  public Conversation converse(ConversationOptions options, ConversationListener listener) {
    return Conversation.start(withAuth(DialogueGrpc.newStub(channel)), options, listener, false);
  }

  /**
   * Opens a conversation whose events go to a {@link Flow.Subscriber}. Its demand is respected end
   * to end: the server's messages are read from the network only as the subscriber requests them.
   * Send audio through the returned {@link Conversation}.
   */
  public Conversation converse(
      ConversationOptions options, Flow.Subscriber<? super ConversationEvent> subscriber) {
    SubscriberBridge bridge = new SubscriberBridge(subscriber);
    Conversation c =
        Conversation.start(withAuth(DialogueGrpc.newStub(channel)), options, bridge, true);
    bridge.subscribe(c);
    return c;
  }

  /** The models the server has loaded ({@code Models.List}), within the unary deadline. */
  public List<ModelInfo> models() {
    try {
      return withDeadline(withAuth(ModelsGrpc.newBlockingStub(channel)))
          .list(ListModelsRequest.getDefaultInstance())
          .getModelsList();
    } catch (StatusRuntimeException e) {
      throw ParleyException.from(e);
    }
  }

  /**
   * Starts a streaming transcription; the config (its {@code input_format} is required) is sent at
   * once. Servers without a speech-to-text model answer UNIMPLEMENTED, which reaches the listener's
   * {@code onError} and {@code awaitFinal}.
   */
  public TranscriptionSession transcribe(TranscribeConfig config, TranscriptionListener listener) {
    return transcribe(config, listener, ConversationOptions.DEFAULT_MAX_BUFFERED_BYTES);
  }

  /**
   * As {@link #transcribe(TranscribeConfig, TranscriptionListener)}, holding at most {@code
   * maxBufferedBytes} of audio while gRPC flow control holds it back.
   */
  public TranscriptionSession transcribe(
      TranscribeConfig config, TranscriptionListener listener, long maxBufferedBytes) {
    return TranscriptionSession.start(
        withAuth(TranscriptionGrpc.newStub(channel)), config, listener, maxBufferedBytes);
  }

  /**
   * Synthesizes speech from a raw request; audio and word timings stream back as the iterator is
   * read (see {@link #synthesize(String, SpeechOptions)} for the friendlier form). Servers without
   * a speech engine answer UNIMPLEMENTED, thrown by the iterator as a {@link ParleyException}.
   * Close the iterator to stop early.
   */
  public ParleyIterator<SynthesizeResponse> synthesize(SynthesizeRequest request) {
    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      Iterator<SynthesizeResponse> it =
          withAuth(SpeechGrpc.newBlockingStub(channel)).synthesize(request);
      return new ParleyIterator<>(it, context);
    } catch (StatusRuntimeException e) {
      throw ParleyException.from(e);
    } finally {
      context.detach(previous);
    }
  }

  /**
   * Speaks {@code text} ({@code Speech.Synthesize}): the server's messages are read as the returned
   * {@link Synthesis} is iterated, or all at once with {@link Synthesis#collect()}. Failures (e.g.
   * INVALID_ARGUMENT for an unknown voice, UNIMPLEMENTED on a server without a text-to-speech
   * model) are thrown by the iterator as {@link ParleyException}s.
   *
   * @param text the text; null or empty when the options carry dialogue turns
   */
  public Synthesis synthesize(String text, SpeechOptions options) {
    SynthesizeRequest request = options.toRequest(text);
    return new Synthesis(synthesize(request), options);
  }

  /** Speaks {@code text} with the server's default voice and sampling, as 24 kHz 16-bit PCM. */
  public Synthesis synthesize(String text) {
    return synthesize(text, SpeechOptions.defaults());
  }

  /**
   * Speaks {@code text} ({@code Speech.Synthesize}), handing audio and word timings to {@code
   * listener} on a gRPC thread as they arrive; wait with {@link SpeechCall#awaitEnd}.
   *
   * @param text the text; null or empty when the options carry dialogue turns
   */
  public SpeechCall synthesize(String text, SpeechOptions options, SpeechListener listener) {
    return SpeechCall.start(withAuth(SpeechGrpc.newStub(channel)), text, options, listener);
  }

  /**
   * Opens a speech synthesis whose text is sent in pieces ({@code Speech.SynthesizeStream}), e.g.
   * while an LLM writes it; the options go out at once. Audio and word timings reach {@code
   * listener} on a gRPC thread while text is still being sent.
   */
  public SpeechStream openSpeechStream(SpeechOptions options, SpeechListener listener) {
    return SpeechStream.start(withAuth(SpeechGrpc.newStub(channel)), options, listener);
  }

  /**
   * The voices the server's text-to-speech model speaks with, its default voice and the most
   * speakers a dialogue may have ({@code Speech.ListVoices}), within the unary deadline.
   */
  public ListVoicesResponse listVoices() {
    try {
      return withDeadline(withAuth(SpeechGrpc.newBlockingStub(channel)))
          .listVoices(ListVoicesRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      throw ParleyException.from(e);
    }
  }

  /** Closes the channel, waiting up to five seconds for calls in flight to finish. */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private <S extends AbstractStub<S>> S withAuth(S stub) {
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  private <S extends AbstractStub<S>> S withDeadline(S stub) {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Across several servers: a call refused before any answer, as a full server (RESOURCE_EXHAUSTED)
   * or a draining or unreachable one (UNAVAILABLE) refuses it, is made once more; round_robin sends
   * the second attempt to the next server. gRPC replays what was sent so far (up to its retry
   * buffer), so a conversation's first audio is not lost.
   */
  private static final Map<String, ?> RETRY_ON_REFUSAL =
      Map.of(
          "methodConfig",
          List.of(
              Map.of(
                  "name",
                  List.of(
                      Map.of("service", "parley.v1.Dialogue"),
                      Map.of("service", "parley.v1.Transcription"),
                      Map.of("service", "parley.v1.Speech")),
                  "retryPolicy",
                  Map.of(
                      "maxAttempts",
                      2.0,
                      "initialBackoff",
                      "0.05s",
                      "maxBackoff",
                      "0.2s",
                      "backoffMultiplier",
                      2.0,
                      "retryableStatusCodes",
                      List.of("UNAVAILABLE", "RESOURCE_EXHAUSTED")))));

  /** Builds a {@link ParleyClient}: plaintext to 127.0.0.1:9998 unless told otherwise. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private String balancedTarget; // several addresses or a resolver target, else null
    private boolean tls;
    private Path trustedCertificates;
    private String apiKey;
    private Duration deadline = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * "host:port", "host" (port 9998), "[v6-address]:port"; or several servers, either as a list
     * ("host1:9998,host2:9998") or a resolver target such as {@code
     * dns:///parley-headless.default.svc:9998} (every address of a Kubernetes headless Service).
     * With several servers new sessions are spread over them ({@code round_robin}), and a session
     * refused because its server is full or draining is retried once on another one.
     */
    public Builder target(String target) {
      if (target.contains(":///")) {
        this.balancedTarget = target.trim();
        return this;
      }
      List<HostPort> list = new java.util.ArrayList<>();
      for (String a : target.split(",")) {
        list.add(HostPort.parse(a, DEFAULT_PORT));
      }
      this.host = list.get(0).host();
      this.port = list.get(0).port();
      this.balancedTarget = list.size() > 1 ? StaticAddresses.target(list) : null;
      return this;
    }

    public Builder target(String host, int port) {
      this.host = host;
      this.port = port;
      this.balancedTarget = null;
      return this;
    }

    /** No encryption (the server's default). */
    public Builder plaintext() {
      this.tls = false;
      return this;
    }

    /** TLS, verifying the server against the JVM's trusted CAs. */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** TLS, trusting the certificates in a PEM file (e.g. a self-signed server certificate). */
    public Builder trustCertificates(Path pem) {
      this.tls = true;
      this.trustedCertificates = pem;
      return this;
    }

    /** Sent as {@code authorization: Bearer <key>} on every call; null for none. */
    public Builder apiKey(String key) {
      this.apiKey = key == null || key.isBlank() ? null : key;
      return this;
    }

    /** Deadline of unary calls such as {@link ParleyClient#models()}; streams have none. */
    public Builder deadline(Duration d) {
      this.deadline = d;
      return this;
    }

    public ParleyClient build() {
      NettyChannelBuilder b =
          balancedTarget == null
              ? NettyChannelBuilder.forAddress(host, port)
              : NettyChannelBuilder.forTarget(balancedTarget)
                  .defaultLoadBalancingPolicy("round_robin")
                  .defaultServiceConfig(RETRY_ON_REFUSAL)
                  .enableRetry();
      if (tls) {
        b.useTransportSecurity();
        if (trustedCertificates != null) {
          b.sslContext(sslContext(trustedCertificates));
        }
      } else {
        b.usePlaintext();
      }
      CallCredentials creds = apiKey == null ? null : new ApiKeyCredentials(apiKey);
      return new ParleyClient(
          b.build(),
          creds,
          deadline,
          balancedTarget != null ? balancedTarget : HostPort.format(host, port));
    }

    private static SslContext sslContext(Path pem) {
      try {
        return GrpcSslContexts.forClient().trustManager(pem.toFile()).build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read trusted certificates from " + pem, e);
      }
    }
  }
}
