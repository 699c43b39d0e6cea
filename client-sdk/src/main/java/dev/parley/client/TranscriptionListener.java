package dev.parley.client;

import dev.parley.proto.v1.EndOfTurn;
import dev.parley.proto.v1.FinalTranscript;
import dev.parley.proto.v1.PauseProbabilities;
import dev.parley.proto.v1.Word;

/** Receives a transcription's results, one call at a time on a gRPC thread; no-ops by default. */
public interface TranscriptionListener {
  default void onWord(Word word) {}

  default void onPause(PauseProbabilities pause) {}

  default void onEndOfTurn(EndOfTurn endOfTurn) {}

  /** Every word, at the end of input; nothing follows. */
  default void onFinal(FinalTranscript transcript) {}

  /** The transcription failed (UNIMPLEMENTED while the server has no STT engine); nothing follows. */
  default void onError(ParleyException error) {}
}
