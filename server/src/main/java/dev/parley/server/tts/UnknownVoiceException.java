package dev.parley.server.tts;

import java.util.List;

/** A request named a voice the server does not have; the message lists some it does have. */
public final class UnknownVoiceException extends IllegalArgumentException {
  private final String voice;

  public UnknownVoiceException(String voice, List<String> known) {
    this(voice, known, null);
  }

  /**
   * @param detail why it could not be found (e.g. the hub is unreachable), or null
   */
  public UnknownVoiceException(String voice, List<String> known, String detail) {
    super(
        "unknown voice '"
            + voice
            + "'"
            + (detail == null ? "" : " (" + detail + ")")
            + (known.isEmpty()
                ? ""
                : "; known voices include "
                    + String.join(", ", known.subList(0, Math.min(8, known.size())))
                    + (known.size() > 8
                        ? " (" + known.size() + " in all: see the voice list)"
                        : "")));
    this.voice = voice;
  }

  public String voice() {
    return voice;
  }
}
