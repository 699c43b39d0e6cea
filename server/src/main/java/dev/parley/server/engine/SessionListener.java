package dev.parley.server.engine;

/**
 * What a session tells its transport. Called on the engine thread: implementations must hand the
 * event off (e.g. to a Netty channel, whose writes are thread-safe) and return at once.
 */
public interface SessionListener {
  void onFrame(OutputFrame frame);

  /** The session ended; {@code reason} is null for a normal close by the client. */
  void onClosed(String reason);
}
