package dev.parley.server.grpc;

import dev.parley.codec.audio.ModelAudio;
import dev.parley.proto.v1.ListModelsRequest;
import dev.parley.proto.v1.ListModelsResponse;
import dev.parley.proto.v1.ModelInfo;
import dev.parley.proto.v1.ModelType;
import dev.parley.proto.v1.ModelsGrpc;
import dev.parley.server.dialogue.DialogueEngine;
import dev.parley.server.model.SpeechModel;
import dev.parley.server.stt.SttEngine;
import dev.parley.server.tts.SynthesisModel;
import dev.parley.server.tts.TtsEngine;
import io.grpc.stub.StreamObserver;

/** {@code parley.v1.Models}: what this server has loaded. */
final class ModelsService extends ModelsGrpc.ModelsImplBase {
  private final DialogueEngine engine; // any may be null
  private final SttEngine sttEngine;
  private final TtsEngine ttsEngine;

  ModelsService(DialogueEngine engine, SttEngine sttEngine, TtsEngine ttsEngine) {
    this.engine = engine;
    this.sttEngine = sttEngine;
    this.ttsEngine = ttsEngine;
  }

  @Override
  public void list(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
    ListModelsResponse.Builder out = ListModelsResponse.newBuilder();
    if (engine != null) {
      out.addModels(
          info(
              engine.model(),
              ModelType.DIALOGUE,
              engine.model().mimi().numCodebooks(),
              engine.maxSessions(),
              engine.activeSessions()));
    }
    if (sttEngine != null) {
      out.addModels(
          info(
              sttEngine.model(),
              ModelType.TRANSCRIPTION,
              0,
              sttEngine.maxSessions(),
              sttEngine.activeSessions()));
    }
    if (ttsEngine != null) {
      SynthesisModel m = ttsEngine.model();
      // Codebooks: those the engine generates (its settings may use fewer than the model has).
      out.addModels(
          ModelInfo.newBuilder()
              .setName(m.name())
              .setType(ModelType.SPEECH)
              .setSampleRateHz(ProtoMapping.MODEL_RATE)
              .setFrameRateHz(ModelAudio.FRAME_RATE)
              .setCodebooks(ttsEngine.settings().codebooks())
              .setTextVocabulary(m.tokenizer().vocabSize())
              .setDevice(dev.parley.codec.torch.TorchRuntime.name(m.manager().getDevice()))
              .setDemo(m.isDemo())
              .setMaxSessions(ttsEngine.maxSessions())
              .setActiveSessions(ttsEngine.activeSessions()));
    }
    responses.onNext(out.build());
    responses.onCompleted();
  }

  private static ModelInfo info(
      SpeechModel model, ModelType type, int codebooks, int max, int active) {
    return ModelInfo.newBuilder()
        .setName(model.name())
        .setType(type)
        .setSampleRateHz(ProtoMapping.MODEL_RATE)
        .setFrameRateHz(ModelAudio.FRAME_RATE)
        .setCodebooks(codebooks)
        .setTextVocabulary(model.tokenizer().vocabSize())
        .setDevice(dev.parley.codec.torch.TorchRuntime.name(model.manager().getDevice()))
        .setDemo(model.isDemo())
        .setMaxSessions(max)
        .setActiveSessions(active)
        .build();
  }
}
