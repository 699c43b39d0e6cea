package dev.parley.server.openai;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The multipart form of {@code POST /v1/audio/transcriptions}: {@code file}, {@code model}, {@code
 * language}, {@code prompt}, {@code response_format}, {@code temperature}, {@code
 * timestamp_granularities[]}, {@code stream}. Other fields are ignored, as OpenAI does.
 */
record TranscriptionRequest(
    byte[] file,
    String model,
    String language,
    String responseFormat,
    Set<String> granularities,
    boolean stream) {
  static final Set<String> FORMATS = Set.of("json", "text", "srt", "vtt", "verbose_json");

  static TranscriptionRequest parse(FullHttpRequest req) throws InvalidRequest {
    String type = req.headers().get("content-type", "");
    if (!type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      throw new InvalidRequest(
          "Expected a multipart/form-data body (file, model, ...), got '" + type + "'", null);
    }
    // Held in memory: the body is already aggregated, and its size is bounded.
    HttpPostRequestDecoder decoder;
    try {
      decoder = new HttpPostRequestDecoder(new DefaultHttpDataFactory(false), req);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException e) {
      throw new InvalidRequest("Cannot read the multipart body: " + e.getMessage(), null);
    }
    try {
      byte[] file = null;
      String model = null;
      String language = null;
      String format = "json";
      List<String> granularities = new ArrayList<>();
      boolean stream = false;
      for (InterfaceHttpData d : decoder.getBodyHttpDatas()) {
        if (d instanceof FileUpload f && d.getName().equals("file")) {
          file = f.get();
        } else if (d instanceof Attribute a) {
          String v = a.getValue();
          switch (d.getName()) {
            case "file" -> file = a.get();
            case "model" -> model = v.strip();
            case "language" -> language = v.isBlank() ? null : v.strip();
            case "response_format" -> format = v.strip();
            case "timestamp_granularities[]", "timestamp_granularities" ->
                granularities.add(v.strip());
            case "stream" -> stream = parseBoolean(v);
            default -> {} // prompt, temperature, include[], chunking_strategy: accepted, unused
          }
        }
      }
      if (file == null || file.length == 0) {
        throw new InvalidRequest(
            "Missing the audio file: send it as the form field 'file'", "file");
      }
      if (model == null || model.isEmpty()) {
        throw new InvalidRequest("Missing required parameter: 'model'", "model");
      }
      if (!FORMATS.contains(format)) {
        throw new InvalidRequest(
            "Invalid response_format '"
                + format
                + "': use one of json, text, srt, vtt, verbose_json",
            "response_format");
      }
      for (String g : granularities) {
        if (!g.equals("word") && !g.equals("segment")) {
          throw new InvalidRequest(
              "Invalid timestamp_granularities[] value '" + g + "': use word or segment",
              "timestamp_granularities");
        }
      }
      if (stream && !format.equals("json") && !format.equals("text")) {
        throw new InvalidRequest(
            "stream=true works with response_format json or text, not " + format, "stream");
      }
      return new TranscriptionRequest(
          file, model, language, format, Set.copyOf(granularities), stream);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException | IOException e) {
      throw new InvalidRequest("Cannot read the multipart body: " + e.getMessage(), null);
    } finally {
      decoder.destroy();
    }
  }

  private static boolean parseBoolean(String v) throws InvalidRequest {
    return switch (v.strip().toLowerCase(Locale.ROOT)) {
      case "true", "1" -> true;
      case "false", "0", "" -> false;
      default ->
          throw new InvalidRequest("Invalid stream value '" + v + "': use true or false", "stream");
    };
  }

  /** Segments are OpenAI's default granularity when none is named. */
  boolean wantsSegments() {
    return granularities.isEmpty() || granularities.contains("segment");
  }

  boolean wantsWords() {
    return granularities.contains("word");
  }
}
