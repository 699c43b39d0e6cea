package dev.parley.server.model;

import dev.parley.server.model.FileReference.InModel;
import dev.parley.server.model.FileReference.InRepository;
import dev.parley.server.model.FileReference.LocalFile;
import dev.parley.server.model.MissingModelFilesException.MissingFile;
import dev.parley.server.model.ModelReference.Demo;
import dev.parley.server.model.ModelReference.HubRepository;
import dev.parley.server.model.ModelReference.LocalDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a {@code --model} reference and the file names a model needs into local paths. A local
 * directory must already hold them. A hub repository is served from the cache first, with no
 * network at all when everything is there; missing files are then downloaded unless {@code
 * HF_HUB_OFFLINE} forbids it, and if they cannot be had, one {@link MissingModelFilesException}
 * names them all.
 *
 * <p>Once a branch's commit is known in the cache, missing files are fetched at that commit, so one
 * model never mixes files of two commits. To pick up a newer commit of a branch, delete its {@code
 * refs/} file or pass {@code owner/name@<commit>}.
 */
public final class ModelResolver {
  private final HubCache cache;
  private final HubDownloader downloader;

  public ModelResolver(HubCache cache, HubDownloader downloader) {
    this.cache = cache;
    this.downloader = downloader;
  }

  /**
   * The resolver for this process: cache, endpoint, token and offline switch from the environment.
   */
  public static ModelResolver fromEnvironment(Environment env, DownloadProgress progress) {
    HubSettings settings = HubSettings.fromEnvironment(env);
    HubCache cache = new HubCache(settings.cacheDir());
    return new ModelResolver(cache, new HubDownloader(settings, cache, progress));
  }

  public HubCache cache() {
    return cache;
  }

  /**
   * Finds (or downloads) every file. Names may be plain paths inside the model, {@code hf://} files
   * of other repositories or {@code file://} local files; the result maps each name as given. The
   * demo model needs no files and resolves to itself.
   */
  public ResolvedModel resolve(ModelReference model, List<String> requiredFiles)
      throws IOException {
    if (model instanceof Demo demo) {
      return ResolvedModel.demo(demo);
    }
    Map<String, Path> found = new LinkedHashMap<>();
    List<MissingFile> missing = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    List<Wanted> fromHub = new ArrayList<>();
    for (String name : new LinkedHashSet<>(requiredFiles)) {
      Optional<Path> local = localPath(model, FileReference.parse(name));
      if (local.isPresent()) {
        if (Files.exists(local.get())) {
          found.put(name, local.get());
        } else {
          missing.add(new MissingFile(name, local.get().toString(), null));
          addOnce(
              reasons,
              model instanceof LocalDirectory d ? "not in " + d.directory() : "no such local file");
        }
        continue;
      }
      Wanted w = wanted(model, name);
      Optional<Path> cached = cache.find(w.repo.repoId(), w.repo.revision(), w.path);
      if (cached.isPresent()) {
        found.put(name, cached.get());
      } else {
        fromHub.add(w);
      }
    }
    HubUnreachableException unreachable = null;
    for (Wanted w : fromHub) {
      if (downloader.offline() || unreachable != null) {
        missing.add(describe(w));
        continue;
      }
      try {
        found.put(w.name, download(w));
      } catch (HubUnreachableException e) {
        unreachable = e;
        missing.add(describe(w));
      }
    }
    if (!missing.isEmpty()) {
      if (downloader.offline() && !fromHub.isEmpty()) {
        reasons.add("downloads are disabled by HF_HUB_OFFLINE");
      }
      if (unreachable != null) {
        reasons.add(unreachable.getMessage());
      }
      throw new MissingModelFilesException(
          model.toString(), String.join("; ", reasons), missing, unreachable);
    }
    Map<String, Path> ordered = new LinkedHashMap<>();
    for (String name : requiredFiles) {
      ordered.put(name, found.get(name));
    }
    return new ResolvedModel(model, directoryOf(model), ordered);
  }

  /**
   * Finds a file a model may or may not have (such as {@code config.json}): its path, or empty when
   * it is known not to exist. When the cache cannot tell and the hub cannot be asked, throws a
   * {@link MissingModelFilesException} naming it.
   */
  public Optional<Path> resolveOptional(ModelReference model, String name) throws IOException {
    if (model instanceof Demo) {
      return Optional.empty();
    }
    Optional<Path> local = localPath(model, FileReference.parse(name));
    if (local.isPresent()) {
      return Files.exists(local.get()) ? local : Optional.empty();
    }
    Wanted w = wanted(model, name);
    Optional<Path> cached = cache.find(w.repo.repoId(), w.repo.revision(), w.path);
    if (cached.isPresent()) {
      return cached;
    }
    if (cache.isKnownMissing(w.repo.repoId(), w.repo.revision(), w.path)) {
      return Optional.empty();
    }
    if (downloader.offline()) {
      throw new MissingModelFilesException(
          model.toString(),
          "downloads are disabled by HF_HUB_OFFLINE, and the cache does not say whether the repository has it",
          List.of(describe(w)),
          null);
    }
    try {
      return Optional.of(download(w));
    } catch (HubEntryNotFoundException e) {
      return Optional.empty();
    } catch (HubUnreachableException e) {
      throw new MissingModelFilesException(
          model.toString(), e.getMessage(), List.of(describe(w)), e);
    }
  }

  /** A file of a hub repository, as {@code name} refers to it from {@code model}. */
  private record Wanted(String name, HubRepository repo, String path) {}

  private static Wanted wanted(ModelReference model, String name) {
    FileReference ref = FileReference.parse(name);
    if (ref instanceof InRepository r) {
      return new Wanted(name, r.repository(), r.path());
    }
    return new Wanted(name, (HubRepository) model, ((InModel) ref).path());
  }

  /** The path of a file that does not live in a hub repository; empty for hub files. */
  private static Optional<Path> localPath(ModelReference model, FileReference ref) {
    if (ref instanceof LocalFile f) {
      return Optional.of(f.path().toAbsolutePath().normalize());
    }
    if (ref instanceof InModel m && model instanceof LocalDirectory d) {
      return Optional.of(d.directory().resolve(m.path()));
    }
    return Optional.empty();
  }

  /** Downloads at the commit the cache already knows for the revision, so a model's files agree. */
  private Path download(Wanted w) throws IOException {
    String revision = cache.commitOf(w.repo.repoId(), w.repo.revision()).orElse(w.repo.revision());
    return downloader.download(w.repo.repoId(), revision, w.path);
  }

  private MissingFile describe(Wanted w) throws IOException {
    String repoId = w.repo.repoId();
    Optional<String> commit = cache.commitOf(repoId, w.repo.revision());
    // Without a known commit there is no snapshot folder yet: name the repository's cache folder.
    String at =
        commit.isPresent()
            ? cache.snapshotPath(repoId, commit.get(), w.path).toString()
            : cache.repoDir(repoId) + " (the cache folder of " + repoId + ", see 2. below)";
    return new MissingFile(
        w.name,
        at,
        downloader.fileUrl(repoId, w.repo.revision(), w.path).toString(),
        new MissingModelFilesException.HubPlace(
            repoId, w.repo.revision(), w.path, cache.repoDir(repoId).toString()));
  }

  private Optional<Path> directoryOf(ModelReference model) throws IOException {
    if (model instanceof LocalDirectory d) {
      return Optional.of(d.directory());
    }
    HubRepository r = (HubRepository) model;
    return cache.commitOf(r.repoId(), r.revision()).map(c -> cache.snapshotDir(r.repoId(), c));
  }

  private static void addOnce(List<String> list, String s) {
    if (!list.contains(s)) {
      list.add(s);
    }
  }
}
