package dev.parley.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.parley.codec.testing.ExternalTools;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.DemoModel;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.wire.ChatProtocol;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --tls-cert/--tls-key: https and wss on the same port, and gRPC on its own, with a certificate
 * made by openssl.
 */
class TlsServerTest {
  @TempDir Path dir;

  @Test
  void httpsAndWssWorkWithAnOpensslCertificate() throws Exception {
    ExternalTools.require("openssl", "openssl");
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    ExternalTools.run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1");
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      trust.setCertificateEntry(
          "parley", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
    try (SpeechModel model = DemoModel.build(Device.cpu());
        ParleyServer server =
            new ParleyServer(
                    model,
                    ServerConfig.defaults()
                        .withHost("127.0.0.1")
                        .withPort(0)
                        .withGrpcPort(0)
                        .withTls(cert, key))
                .start()) {
      HttpResponse<String> health =
          client.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).isEqualTo("ok\n");
      ChatServerTest.Client c = new ChatServerTest.Client();
      c.socket =
          client
              .newWebSocketBuilder()
              .buildAsync(URI.create("wss://127.0.0.1:" + server.port() + "/api/chat"), c)
              .join();
      ChatServerTest.waitFor(() -> !c.messages.isEmpty(), 5000);
      assertThat(c.messages.get(0)[0]).isEqualTo(ChatProtocol.HANDSHAKE);
      c.socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").join();
      // gRPC on its own port with the same certificate.
      io.grpc.ManagedChannel grpc =
          io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                  "127.0.0.1", server.grpcPort())
              .sslContext(
                  io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient()
                      .trustManager(cert.toFile())
                      .build())
              .build();
      try {
        assertThat(
                io.grpc.health.v1.HealthGrpc.newBlockingStub(grpc)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
                    .getStatus())
            .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
      } finally {
        grpc.shutdownNow();
      }
    }
  }
}
