package dev.parley.server.grpc;

import dev.parley.proto.v1.ConverseRequest;
import dev.parley.proto.v1.ConverseResponse;
import dev.parley.proto.v1.DialogueGrpc;
import dev.parley.proto.v1.SpeechGrpc;
import dev.parley.proto.v1.SynthesizeRequest;
import dev.parley.proto.v1.SynthesizeResponse;
import dev.parley.proto.v1.SynthesizeStreamRequest;
import dev.parley.proto.v1.TranscribeRequest;
import dev.parley.proto.v1.TranscribeResponse;
import dev.parley.proto.v1.TranscriptionGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

/**
 * The services of a server without their engine or model: every call answers UNIMPLEMENTED and says
 * why, rather than gRPC's generic "method not found".
 */
final class NotLoadedServices {
  private NotLoadedServices() {}

  static StatusRuntimeException notLoaded(String what, String option) {
    return Status.UNIMPLEMENTED
        .withDescription("this server hosts no " + what + " model (start it with " + option + ")")
        .asRuntimeException();
  }

  static final class Dialogue extends DialogueGrpc.DialogueImplBase {
    @Override
    public StreamObserver<ConverseRequest> converse(StreamObserver<ConverseResponse> responses) {
      responses.onError(notLoaded("dialogue", "--model"));
      return new DialogueService.DiscardingObserver<>();
    }
  }

  static final class Transcription extends TranscriptionGrpc.TranscriptionImplBase {
    @Override
    public StreamObserver<TranscribeRequest> transcribe(
        StreamObserver<TranscribeResponse> responses) {
      responses.onError(notLoaded("transcription", "--stt-model"));
      return new DialogueService.DiscardingObserver<>();
    }
  }

  static final class Speech extends SpeechGrpc.SpeechImplBase {
    @Override
    public void synthesize(
        SynthesizeRequest request, StreamObserver<SynthesizeResponse> responses) {
      responses.onError(notLoaded("speech synthesis", "--tts-model"));
    }

    @Override
    public StreamObserver<SynthesizeStreamRequest> synthesizeStream(
        StreamObserver<SynthesizeResponse> responses) {
      responses.onError(notLoaded("speech synthesis", "--tts-model"));
      return new DialogueService.DiscardingObserver<>();
    }
  }
}
