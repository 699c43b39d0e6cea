package dev.parley.server.model;

/**
 * The hub could not be reached or gave up mid-transfer (no network, timeout, 5xx, 429). Unlike
 * other {@link HubException}s this is worth retrying later, and a cached copy may still serve.
 */
public final class HubUnreachableException extends HubException {
  private static final long serialVersionUID = 1L;

  public HubUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
