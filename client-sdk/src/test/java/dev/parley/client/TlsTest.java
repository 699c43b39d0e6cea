package dev.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.client.testing.FakeParleyServer;
import dev.parley.codec.testing.ExternalTools;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS with a self-signed certificate made by openssl: trusted when given, refused otherwise. */
class TlsTest {

  @Test
  void trustCertificatesConnectsAndTheDefaultTrustStoreRefuses(@TempDir Path dir) throws Exception {
    ExternalTools.require("openssl", "openssl");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    ExternalTools.run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString());
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .sslContext(GrpcSslContexts.forServer(cert.toFile(), key.toFile()).build())
            .addService(new FakeParleyServer.Models())
            .build()
            .start();
    try {
      String target = "127.0.0.1:" + server.getPort();
      try (ParleyClient client =
          ParleyClient.builder().target(target).trustCertificates(cert).build()) {
        assertThat(client.models()).isEqualTo(FakeParleyServer.Models.MODELS);
      }
      try (ParleyClient client = ParleyClient.builder().target(target).tls().build()) {
        assertThatThrownBy(client::models)
            .isInstanceOfSatisfying(
                ParleyException.class, e -> assertThat(e.code()).isEqualTo("UNAVAILABLE"));
      }
      try (ParleyClient client = ParleyClient.builder().target(target).plaintext().build()) {
        assertThatThrownBy(client::models).isInstanceOf(ParleyException.class);
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
