package dev.parley.server.openai;

/** A request field the client got wrong: answered with a 400 naming the field. */
final class InvalidRequest extends Exception {
  private static final long serialVersionUID = 1L;

  final transient OpenAiError error;

  InvalidRequest(String message, String param) {
    super(message);
    this.error = OpenAiError.badRequest(message, param, "invalid_value");
  }
}
