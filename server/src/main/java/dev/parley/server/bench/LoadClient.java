package dev.parley.server.bench;

/**
 * One simulated real-time client of the load benchmark: sends Ogg Opus pages, counts what comes
 * back.
 */
interface LoadClient extends AutoCloseable {
  /** Sends one 80 ms Ogg page of the client's microphone stream. */
  void sendPage(byte[] page);

  @Override
  void close();
}
