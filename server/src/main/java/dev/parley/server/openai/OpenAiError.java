package dev.parley.server.openai;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error as OpenAI's API reports it: the HTTP status and {@code {"error": {"message", "type",
 * "param", "code"}}}. Realtime sockets send the same fields in an {@code error} event.
 */
record OpenAiError(
    HttpResponseStatus status, String message, String type, String param, String code) {
  static final String INVALID_REQUEST = "invalid_request_error";

  static OpenAiError badRequest(String message, String param, String code) {
    return new OpenAiError(HttpResponseStatus.BAD_REQUEST, message, INVALID_REQUEST, param, code);
  }

  static OpenAiError wrongKey() {
    return new OpenAiError(
        HttpResponseStatus.UNAUTHORIZED,
        "Incorrect or missing API key: send it as Authorization: Bearer <key>",
        INVALID_REQUEST,
        null,
        "invalid_api_key");
  }

  static OpenAiError unknownModel(String model, String endpoint, Iterable<String> hosted) {
    return new OpenAiError(
        HttpResponseStatus.NOT_FOUND,
        "The model '"
            + model
            + "' does not exist or is not served at "
            + endpoint
            + " here; models: "
            + String.join(", ", hosted),
        INVALID_REQUEST,
        "model",
        "model_not_found");
  }

  static OpenAiError notFound(String message) {
    return new OpenAiError(HttpResponseStatus.NOT_FOUND, message, INVALID_REQUEST, null, null);
  }

  static OpenAiError methodNotAllowed(String message) {
    return new OpenAiError(
        HttpResponseStatus.METHOD_NOT_ALLOWED, message, INVALID_REQUEST, null, null);
  }

  static OpenAiError unavailable(String message, String code) {
    return new OpenAiError(
        HttpResponseStatus.SERVICE_UNAVAILABLE, message, "server_error", null, code);
  }

  static OpenAiError internal(String message) {
    return new OpenAiError(
        HttpResponseStatus.INTERNAL_SERVER_ERROR, message, "server_error", null, null);
  }

  /** The {@code error} object's fields (nulls kept, as OpenAI sends them). */
  Map<String, Object> fields() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("message", message);
    m.put("type", type);
    m.put("param", param);
    m.put("code", code);
    return m;
  }

  Map<String, Object> body() {
    return Map.of("error", fields());
  }
}
