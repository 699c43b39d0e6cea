package dev.parley.server.model;

/** Hears how far each file download has come; {@link #NONE} hears nothing. */
public interface DownloadProgress {
  DownloadProgress NONE = (file, done, total) -> {};

  /**
   * Called when a download starts (with the bytes already on disk from an earlier attempt) and then
   * as bytes arrive. {@code total} is -1 when the hub did not say.
   */
  void update(String file, long done, long total);

  /** The file is complete, verified and in the cache. */
  default void finished(String file, long total) {}
}
