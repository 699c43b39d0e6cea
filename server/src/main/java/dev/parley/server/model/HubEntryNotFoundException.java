package dev.parley.server.model;

/**
 * The repository exists but has no such file at that revision (the hub's {@code EntryNotFound}).
 */
public final class HubEntryNotFoundException extends HubException {
  private static final long serialVersionUID = 1L;

  public HubEntryNotFoundException(String message) {
    super(message);
  }
}
