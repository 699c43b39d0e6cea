package dev.parley.server.dialogue;

/**
 * What a session tells its transport. Called on the engine thread: implementations must hand the
 * event off (e.g. to a Netty channel, whose writes are thread-safe) and return at once.
 */
public interface DialogueListener {
  void onFrame(OutputFrame frame);

  /**
   * A step consumed one more of the session's input frames ({@code consumed} in all so far),
   * whether or not it produced output yet. Transports that meter their input use it.
   */
  default void onInputConsumed(long consumed) {}

  /**
   * The session's prompt has been fed (PersonaPlex): the conversation starts now, so a transport
   * that holds its greeting until then sends it. Not called for a session without a prompt.
   */
  default void onPromptDone() {}

  /** The session ended; {@code reason} is null for a normal close by the client. */
  void onClosed(String reason);
}
