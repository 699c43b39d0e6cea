package dev.parley.server.bench;

import com.google.protobuf.ByteString;
import dev.parley.codec.audio.ModelAudio;
import dev.parley.proto.v1.AudioChunk;
import dev.parley.proto.v1.AudioFormat;
import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.Encoding;
import dev.parley.proto.v1.SessionConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load client on gRPC {@code Dialogue.Converse} with the same audio both ways as the WebSocket
 * one (24 kHz Ogg Opus pages in and out), so the two transports are compared on equal work.
 */
final class GrpcLoadClient implements LoadClient {
  private final ManagedChannel channel;
  private final StreamObserver<ConverseRequest> requests;

  GrpcLoadClient(int port, AtomicLong received) {
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    AudioFormat ogg =
        AudioFormat.newBuilder()
            .setEncoding(Encoding.OGG_OPUS)
            .setSampleRateHz(ModelAudio.SAMPLE_RATE)
            .setChannels(1)
            .build();
    requests =
        DialogueGrpc.newStub(channel)
            .converse(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ConverseResponse r) {
                    if (r.hasAudio()) {
                      received.addAndGet(r.getAudio().getData().size());
                    }
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(
        ConverseRequest.newBuilder()
            .setConfig(SessionConfig.newBuilder().setInputFormat(ogg).setOutputFormat(ogg))
            .build());
  }

  @Override
  public synchronized void sendPage(byte[] page) {
    requests.onNext(
        ConverseRequest.newBuilder()
            .setAudio(AudioChunk.newBuilder().setData(ByteString.copyFrom(page)))
            .build());
  }

  @Override
  public synchronized void close() {
    requests.onCompleted();
    channel.shutdown();
  }
}
