package dev.parley.server.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files of Kyutai's published repositories, for telling an offline user what to fetch before
 * the repository's own config.json (which names them) is on the machine. Only names known from the
 * repositories themselves are listed; a repository not here is asked for its config.json first.
 */
final class KnownCheckpoints {
  private static final String STT_MIMI = "mimi-pytorch-e351c8d8@125.safetensors";

  /** Repositories without config.json: the Moshi 7B defaults name their files. */
  private static final List<String> MOSHI_DEFAULTS =
      List.of("kyutai/moshiko-pytorch-bf16", "kyutai/moshika-pytorch-bf16");

  private static final Map<String, List<String>> WITH_CONFIG =
      Map.of(
          "kyutai/stt-1b-en_fr",
          List.of(
              KyutaiModelConfig.CONFIG_FILE,
              "model.safetensors",
              STT_MIMI,
              "tokenizer_en_fr_audio_8000.model"),
          "kyutai/stt-2.6b-en",
          List.of(
              KyutaiModelConfig.CONFIG_FILE,
              "model.safetensors",
              STT_MIMI,
              "tokenizer_en_audio_4000.model"));

  private KnownCheckpoints() {}

  /** Whether the repository is one of Moshi's, which have no config.json. */
  static boolean usesMoshiDefaults(ModelReference model) {
    return model instanceof ModelReference.HubRepository r && MOSHI_DEFAULTS.contains(r.repoId());
  }

  /** Every file of a known repository that has a config.json, config.json first. */
  static Optional<List<String>> files(ModelReference model) {
    return model instanceof ModelReference.HubRepository r
        ? Optional.ofNullable(WITH_CONFIG.get(r.repoId()))
        : Optional.empty();
  }
}
