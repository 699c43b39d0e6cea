package dev.parley.server.persona;

import dev.parley.server.model.MissingModelFilesException;
import dev.parley.server.model.ModelReference;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.model.ModelResolver;
import dev.parley.server.model.SpeechModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a dialogue model's prompt voices come from: a folder the user names, or else, for a
 * PersonaPlex checkpoint from a Hugging Face repository, that repository's {@code voices.tgz} (at
 * the model's revision, through the hub cache), unpacked once into {@code voices/} beside the
 * cached archive. That is where the fork's own server unpacks it, so a cache shared with it holds
 * one copy, used by both. Voices are a convenience: a repository without them, an archive that
 * cannot be had (offline, hub unreachable) or one that cannot be unpacked gives no voices and a log
 * line, never a failed start.
 */
public final class RepoVoices {
  private static final Logger LOG = LoggerFactory.getLogger(RepoVoices.class);

  /** The archive's name in a PersonaPlex repository. */
  public static final String ARCHIVE = "voices.tgz";

  private RepoVoices() {}

  /**
   * The voices of {@code folder} when given; else those of a PersonaPlex hub checkpoint's archive;
   * else none.
   */
  public static PromptVoices choose(
      Path folder, SpeechModel model, ModelReference reference, ModelResolver resolver) {
    if (folder != null) {
      return logged(PromptVoices.in(folder));
    }
    if (model.personaPlex().isEmpty() || !(reference instanceof HubRepository repo)) {
      return PromptVoices.none();
    }
    return logged(fromHub(resolver, repo));
  }

  /** The voices of the repository's {@code voices.tgz}, unpacked on first use. */
  public static PromptVoices fromHub(ModelResolver resolver, HubRepository repo) {
    Optional<Path> archive;
    try {
      archive = resolver.resolveOptional(repo, ARCHIVE);
    } catch (MissingModelFilesException e) {
      LOG.warn("no prompt voices: {} of {} is not at hand ({})", ARCHIVE, repo, e.reason());
      return PromptVoices.none();
    } catch (IOException e) {
      LOG.warn("no prompt voices: {} of {} cannot be had ({})", ARCHIVE, repo, e.getMessage());
      return PromptVoices.none();
    }
    if (archive.isEmpty()) {
      LOG.info("no prompt voices: {} has no {}", repo, ARCHIVE);
      return PromptVoices.none();
    }
    // Beside the snapshot's entry, not the blob it links to: the folder belongs to that commit.
    Path folder = archive.get().resolveSibling(VoiceArchive.FOLDER);
    if (!Files.isDirectory(folder)) {
      try {
        LOG.info("extracting the prompt voices of {} into {}", archive.get(), folder);
        VoiceArchive.Result r =
            VoiceArchive.extract(archive.get(), folder, VoiceArchive.Limits.DEFAULT);
        r.skipped().forEach(s -> LOG.warn("{}: left out {}", ARCHIVE, s));
        if (r.extracted().isEmpty()) {
          LOG.warn(
              "no prompt voices: {} holds no {}/*.wav or *.pt files",
              archive.get(),
              VoiceArchive.FOLDER);
          return PromptVoices.none();
        }
      } catch (IOException e) {
        LOG.warn("no prompt voices: cannot extract {} ({})", archive.get(), e.getMessage());
        return PromptVoices.none();
      }
    }
    return PromptVoices.in(folder);
  }

  /** Says what was found, and which voices exist only as embeddings this server cannot use. */
  private static PromptVoices logged(PromptVoices voices) {
    if (voices.folder().isEmpty()) {
      return voices;
    }
    Path folder = voices.folder().get();
    LOG.info("{} prompt voices in {}", voices.names().size(), folder);
    if (!voices.embeddingsOnly().isEmpty()) {
      LOG.warn(
          "{}: not offered, as they have only a .pt embedding and no WAV (this server builds"
              + " prompts from WAV audio and reads no torch pickles): {}",
          folder,
          String.join(", ", voices.embeddingsOnly()));
    }
    return voices;
  }
}
