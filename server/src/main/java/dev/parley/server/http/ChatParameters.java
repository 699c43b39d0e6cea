package dev.parley.server.http;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.dialogue.DialogueOptions;
import dev.parley.server.lm.SamplingParams;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The query parameters Kyutai's web client sends with {@code /api/chat}: sampling ones are applied,
 * the others are accepted and reported as ignored.
 */
final class ChatParameters {
  static final Set<String> IGNORED =
      Set.of(
          "pad_mult",
          "repetition_penalty",
          "repetition_penalty_context",
          "worker_auth_id",
          "email",
          "image_url",
          "image_resolution",
          "auth_id");

  private ChatParameters() {}

  record Parsed(DialogueOptions options, List<String> ignored) {
    Parsed withPrompt(dev.parley.server.dialogue.DialoguePrompt prompt) {
      return new Parsed(options.withPrompt(prompt), ignored);
    }
  }

  /** A text query parameter, or null. */
  static String text(QueryStringDecoder q, String key) {
    List<String> v = q.parameters().get(key);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  static Parsed parse(QueryStringDecoder q, ServerConfig defaults, long fallbackSeed) {
    Map<String, List<String>> p = q.parameters();
    SamplingParams text =
        new SamplingParams(
            number(p, "text_temperature", defaults.textSampling().temperature()),
            (int) number(p, "text_topk", defaults.textSampling().topK()),
            defaults.textSampling().topP());
    SamplingParams audio =
        new SamplingParams(
            number(p, "audio_temperature", defaults.audioSampling().temperature()),
            (int) number(p, "audio_topk", defaults.audioSampling().topK()),
            defaults.audioSampling().topP());
    // One random stream per session: the text seed if given, else the audio seed, else fresh.
    long seed = (long) number(p, "text_seed", number(p, "audio_seed", fallbackSeed));
    List<String> ignored = new ArrayList<>();
    for (String k : p.keySet()) {
      if (IGNORED.contains(k) && !k.equals("auth_id")) {
        ignored.add(k);
      }
    }
    return new Parsed(new DialogueOptions(text, audio, seed), ignored);
  }

  /** A numeric query parameter for display, or {@code dflt} when absent or not a number. */
  static double numberOr(QueryStringDecoder q, String key, double dflt) {
    try {
      return number(q.parameters(), key, dflt);
    } catch (IllegalArgumentException e) {
      return dflt;
    }
  }

  private static double number(Map<String, List<String>> p, String key, double dflt) {
    List<String> v = p.get(key);
    if (v == null || v.isEmpty() || v.get(0).isBlank()) {
      return dflt;
    }
    try {
      return Double.parseDouble(v.get(0));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "query parameter " + key + "=" + v.get(0) + " is not a number");
    }
  }
}
