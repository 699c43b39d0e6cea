package dev.parley.server.engine;

/** Every slot of the engine is taken: the client should be told "server full". */
public final class EngineFullException extends Exception {
  private static final long serialVersionUID = 1L;

  public EngineFullException(int maxSessions) {
    super("server full: all " + maxSessions + " session slots are in use");
  }
}
