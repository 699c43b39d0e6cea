package dev.parley.client.cli;

import dev.parley.client.ConversationOptions;
import dev.parley.client.kyutai.KyutaiChatOptions;
import picocli.CommandLine.Option;

/** Sampling flags shared by chat and bench; unset ones take the server's defaults. */
final class SamplingOptions {
  @Option(
      names = "--text-temperature",
      paramLabel = "T",
      description = "Text token temperature (0 = greedy).")
  Float textTemperature;

  @Option(
      names = "--audio-temperature",
      paramLabel = "T",
      description = "Audio token temperature (0 = greedy).")
  Float audioTemperature;

  @Option(
      names = "--text-topk",
      paramLabel = "K",
      description = "Keep the K most likely text tokens.")
  Integer textTopK;

  @Option(
      names = "--audio-topk",
      paramLabel = "K",
      description = "Keep the K most likely audio tokens.")
  Integer audioTopK;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description = "Seed of the session's random draws (reproducible replies).")
  Long seed;

  @Option(names = "--greedy", description = "Greedy decoding: both temperatures 0.")
  boolean greedy;

  void applyTo(ConversationOptions.Builder b) {
    if (textTemperature != null) {
      b.textTemperature(textTemperature);
    }
    if (audioTemperature != null) {
      b.audioTemperature(audioTemperature);
    }
    if (textTopK != null) {
      b.textTopK(textTopK);
    }
    if (audioTopK != null) {
      b.audioTopK(audioTopK);
    }
    if (seed != null) {
      b.seed(seed);
    }
    if (greedy) {
      b.greedy();
    }
  }

  void applyTo(KyutaiChatOptions.Builder b) {
    if (textTemperature != null) {
      b.textTemperature(textTemperature);
    }
    if (audioTemperature != null) {
      b.audioTemperature(audioTemperature);
    }
    if (textTopK != null) {
      b.textTopK(textTopK);
    }
    if (audioTopK != null) {
      b.audioTopK(audioTopK);
    }
    if (seed != null) {
      b.seed(seed);
    }
    if (greedy) {
      b.textTemperature(0).audioTemperature(0);
    }
  }
}
