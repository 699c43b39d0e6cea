package dev.parley.server.model;

import dev.parley.codec.mimi.MimiConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kyutai model with every file it needs on this machine: its {@link KyutaiModelConfig} and the
 * paths of the LM weights, Mimi weights, text tokenizer and optional Mimi config and LoRA weights.
 * This is what the Moshi, STT and TTS commands load from.
 */
public record KyutaiCheckpoint(
    KyutaiModelConfig config, Optional<Path> configFile, ResolvedModel files) {
  private static final Logger LOG = LoggerFactory.getLogger(KyutaiCheckpoint.class);

  /**
   * Reads the model's config.json (when it has one) and resolves the files it names. A model that
   * has no config.json gets the Moshi 7B defaults, as in the reference. Offline, when the cache
   * cannot tell whether config.json exists, the defaults are tried too; if their files are missing,
   * config.json is reported missing with them.
   */
  public static KyutaiCheckpoint resolve(ModelResolver resolver, ModelReference model)
      throws IOException {
    if (model instanceof ModelReference.Demo) {
      throw new IllegalArgumentException(
          "the " + model + " model is built in memory and has no checkpoint files");
    }
    Optional<Path> configFile;
    MissingModelFilesException configUnknown = null;
    try {
      configFile = resolver.resolveOptional(model, KyutaiModelConfig.CONFIG_FILE);
    } catch (MissingModelFilesException e) {
      configFile = Optional.empty();
      configUnknown = e;
    }
    KyutaiModelConfig config =
        configFile.isPresent()
            ? KyutaiModelConfig.read(configFile.get())
            : KyutaiModelConfig.defaults();
    ResolvedModel files;
    try {
      files = resolver.resolve(model, config.requiredFiles());
    } catch (MissingModelFilesException e) {
      if (configUnknown == null || KnownCheckpoints.usesMoshiDefaults(model)) {
        throw e;
      }
      throw missingWithConfig(resolver, model, configUnknown);
    }
    if (configUnknown != null) {
      LOG.warn(
          "{}: config.json is not in the cache and cannot be looked up ({}); assuming the Moshi 7B "
              + "architecture, whose files are all here",
          model,
          configUnknown.reason());
    } else if (configFile.isEmpty()) {
      LOG.warn("{} has no config.json: assuming the Moshi 7B architecture and file names", model);
    }
    return new KyutaiCheckpoint(config, configFile, files);
  }

  /**
   * Offline without config.json, the Moshi 7B names of the other files would be a guess: report the
   * repository's real files when they are known, else config.json alone, which names them.
   */
  private static MissingModelFilesException missingWithConfig(
      ModelResolver resolver, ModelReference model, MissingModelFilesException configUnknown)
      throws IOException {
    java.util.Optional<java.util.List<String>> known = KnownCheckpoints.files(model);
    if (known.isPresent()) {
      try {
        resolver.resolve(model, known.get());
      } catch (MissingModelFilesException all) {
        return all;
      }
    }
    return new MissingModelFilesException(
        configUnknown.model(),
        configUnknown.reason()
            + ". config.json names the model's weights, Mimi and tokenizer files; once it is here,"
            + " they are looked up",
        configUnknown.files(),
        configUnknown.getCause());
  }

  public Path moshiWeights() {
    return files.file(config.moshiName());
  }

  public Path mimiWeights() {
    return files.file(config.mimiName());
  }

  public Path tokenizer() {
    return files.file(config.tokenizerName());
  }

  /**
   * The Mimi the model runs with: the checkpoint's own Mimi config when it names one, else
   * Kyutai's, cut to the codebooks the model reads and writes.
   */
  public MimiConfig codecConfig() throws IOException {
    MimiConfig c =
        mimiConfig().isPresent() ? MimiConfig.fromJson(mimiConfig().get()) : MimiConfig.kyutai();
    return c.withCodebooks(config.numCodebooks());
  }

  public Optional<Path> mimiConfig() {
    return config.mimiConfigName().map(files::file);
  }

  public Optional<Path> loraWeights() {
    return config.loraName().map(files::file);
  }
}
