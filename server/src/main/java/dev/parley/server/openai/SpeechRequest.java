package dev.parley.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The JSON body of {@code POST /v1/audio/speech}: {@code model}, {@code input}, {@code voice} (a
 * name or {@code {"id": name}}), {@code response_format}, {@code speed}, {@code instructions},
 * {@code stream_format}; and as Parley extensions {@code temperature} and {@code seed}. Unknown
 * fields are ignored.
 */
record SpeechRequest(
    String model,
    String input,
    String voice,
    SpeechFormat format,
    boolean sse,
    double speed,
    String instructions,
    Float temperature,
    Long seed) {
  /** OpenAI's limit on {@code input}. */
  static final int MAX_INPUT_CHARS = 4096;

  /** Formats OpenAI offers that Parley has no encoder for. */
  static final List<String> UNSUPPORTED_FORMATS = List.of("mp3", "aac", "flac");

  static SpeechRequest parse(byte[] body) throws InvalidRequest {
    JsonNode root;
    try {
      root = OpenAiHttp.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new InvalidRequest("The body is not valid JSON: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw new InvalidRequest("Cannot read the body: " + e.getMessage(), null);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidRequest(
          "The body must be a JSON object with 'model', 'input' and 'voice'", null);
    }
    String model = string(root, "model");
    if (model == null) {
      throw new InvalidRequest("Missing required parameter: 'model'", "model");
    }
    String input = string(root, "input");
    if (input == null || input.isBlank()) {
      throw new InvalidRequest("Missing required parameter: 'input'", "input");
    }
    if (input.length() > MAX_INPUT_CHARS) {
      throw new InvalidRequest(
          "'input' is " + input.length() + " characters; the limit is " + MAX_INPUT_CHARS, "input");
    }
    String voice;
    JsonNode v = root.get("voice");
    if (v != null && v.isObject()) {
      voice = string(v, "id");
    } else {
      voice = string(root, "voice");
    }
    String fmt = string(root, "response_format");
    SpeechFormat format;
    if (fmt == null) {
      format = SpeechFormat.WAV; // OpenAI's default is mp3, which Parley cannot encode
    } else {
      format = SpeechFormat.of(fmt.toLowerCase(Locale.ROOT));
      if (format == null) {
        throw new InvalidRequest(
            (UNSUPPORTED_FORMATS.contains(fmt.toLowerCase(Locale.ROOT))
                    ? "response_format '" + fmt + "' is not supported by this server"
                    : "Invalid response_format '" + fmt + "'")
                + ": use one of "
                + SpeechFormat.NAMES,
            "response_format");
      }
    }
    String streamFormat = string(root, "stream_format");
    boolean sse;
    if (streamFormat == null || streamFormat.equals("audio")) {
      sse = false;
    } else if (streamFormat.equals("sse")) {
      sse = true;
    } else {
      throw new InvalidRequest(
          "Invalid stream_format '" + streamFormat + "': use audio or sse", "stream_format");
    }
    double speed = 1.0;
    JsonNode s = root.get("speed");
    if (s != null && !s.isNull()) {
      if (!s.isNumber() || !(s.doubleValue() >= 0.25 && s.doubleValue() <= 4.0)) {
        throw new InvalidRequest("'speed' must be a number from 0.25 to 4.0", "speed");
      }
      speed = s.doubleValue();
    }
    // Parley's extensions, for repeatable synthesis: the TTS engine's sampling temperature, a seed.
    Float temperature = null;
    JsonNode t = root.get("temperature");
    if (t != null && !t.isNull()) {
      if (!t.isNumber() || !(t.doubleValue() >= 0 && t.doubleValue() <= 5)) {
        throw new InvalidRequest("'temperature' must be a number from 0 to 5", "temperature");
      }
      temperature = t.floatValue();
    }
    Long seed = null;
    JsonNode sd = root.get("seed");
    if (sd != null && !sd.isNull()) {
      if (!sd.isIntegralNumber() || !sd.canConvertToLong()) {
        throw new InvalidRequest("'seed' must be an integer", "seed");
      }
      seed = sd.longValue();
    }
    return new SpeechRequest(
        model, input, voice, format, sse, speed, string(root, "instructions"), temperature, seed);
  }

  private static String string(JsonNode root, String name) throws InvalidRequest {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new InvalidRequest("'" + name + "' must be a string", name);
    }
    return n.textValue();
  }
}
