package dev.parley.server.engine;

/**
 * The engine takes no new session: every slot is taken ("server full"), or the server is draining
 * before it stops. Either way another replica may take the session.
 */
public final class EngineFullException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What a draining server tells a client whose new session it refuses. */
  public static final String DRAINING = "server draining: not accepting new sessions";

  private final boolean draining;

  public EngineFullException(int maxSessions) {
    super("server full: all " + maxSessions + " session slots are in use");
    this.draining = false;
  }

  private EngineFullException() {
    super(DRAINING);
    this.draining = true;
  }

  /** The refusal of a draining server. */
  public static EngineFullException draining() {
    return new EngineFullException();
  }

  /** Whether the server is draining (as opposed to full). */
  public boolean isDraining() {
    return draining;
  }
}
