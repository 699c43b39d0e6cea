package dev.parley.server.model;

import java.io.IOException;

/** The hub refused or failed a request in a way the user has to act on (message says how). */
public class HubException extends IOException {
  private static final long serialVersionUID = 1L;

  public HubException(String message) {
    super(message);
  }

  public HubException(String message, Throwable cause) {
    super(message, cause);
  }
}
