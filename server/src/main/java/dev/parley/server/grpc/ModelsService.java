package dev.parley.server.grpc;

import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListModelsResponse;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.server.engine.DialogueEngine;
import io.grpc.stub.StreamObserver;

/** {@code parley.v1.Models}: what this server has loaded. */
final class ModelsService extends ModelsGrpc.ModelsImplBase {
  private final DialogueEngine engine;

  ModelsService(DialogueEngine engine) {
    this.engine = engine;
  }

  @Override
  public void list(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
    var model = engine.model();
    ModelInfo dialogue = ModelInfo.newBuilder().setName(model.name()).setType(ModelType.DIALOGUE)
        .setSampleRateHz(ProtoMapping.MODEL_RATE).setFrameRateHz(12.5).setCodebooks(model.mimi().numCodebooks())
        .setTextVocabulary(model.tokenizer().vocabSize()).setDevice(model.manager().getDevice().toString())
        .setMaxSessions(engine.maxSessions()).setActiveSessions(engine.activeSessions()).build();
    responses.onNext(ListModelsResponse.newBuilder().addModels(dialogue).build());
    responses.onCompleted();
  }
}
