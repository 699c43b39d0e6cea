package dev.parley.server.openai;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models the OpenAI routes serve: each hosted engine's model under its own name, and OpenAI's
 * model names for the same kind of work as aliases, so an unchanged OpenAI application finds a
 * model ({@code whisper-1} transcribes with the STT model, {@code tts-1} speaks with the TTS model,
 * {@code gpt-realtime} converses with the dialogue model).
 */
final class HostedModels {
  static final String TRANSCRIPTIONS = "/v1/audio/transcriptions";
  static final String SPEECH = "/v1/audio/speech";
  static final String REALTIME = "/v1/realtime";

  static final List<String> TRANSCRIPTION_ALIASES =
      List.of("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe");
  static final List<String> SPEECH_ALIASES = List.of("tts-1", "tts-1-hd", "gpt-4o-mini-tts");
  static final List<String> REALTIME_ALIASES =
      List.of(
          "gpt-realtime",
          "gpt-realtime-mini",
          "gpt-4o-realtime-preview",
          "gpt-4o-mini-realtime-preview");

  /** One hosted model: its name, the endpoints it serves, the OpenAI names that reach it. */
  record Hosted(String id, List<String> endpoints, List<String> aliases) {}

  private final String stt; // null when not hosted
  private final String tts;
  private final String dialogue;
  private final long created;

  HostedModels(String stt, String tts, String dialogue, long createdEpochSeconds) {
    this.stt = stt;
    this.tts = tts;
    this.dialogue = dialogue;
    this.created = createdEpochSeconds;
  }

  String transcription() {
    return stt;
  }

  String speech() {
    return tts;
  }

  String dialogue() {
    return dialogue;
  }

  List<Hosted> all() {
    List<Hosted> out = new ArrayList<>();
    if (stt != null) {
      // A transcription model serves realtime transcription sessions too.
      out.add(new Hosted(stt, List.of(TRANSCRIPTIONS, REALTIME), TRANSCRIPTION_ALIASES));
    }
    if (tts != null) {
      out.add(new Hosted(tts, List.of(SPEECH), SPEECH_ALIASES));
    }
    if (dialogue != null) {
      out.add(new Hosted(dialogue, List.of(REALTIME), REALTIME_ALIASES));
    }
    return out;
  }

  List<String> ids() {
    return all().stream().map(Hosted::id).toList();
  }

  /** The hosted model {@code name} means for transcription, or null. */
  String forTranscription(String name) {
    return resolve(name, stt, TRANSCRIPTION_ALIASES);
  }

  String forSpeech(String name) {
    return resolve(name, tts, SPEECH_ALIASES);
  }

  String forDialogue(String name) {
    return resolve(name, dialogue, REALTIME_ALIASES);
  }

  private static String resolve(String name, String hosted, List<String> aliases) {
    if (hosted == null || name == null) {
      return null;
    }
    return name.equals(hosted) || aliases.contains(name) ? hosted : null;
  }

  /** OpenAI's {@code Model} object, with Parley's endpoints and aliases as extra fields. */
  Map<String, Object> object(Hosted h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", h.id());
    m.put("object", "model");
    m.put("created", created);
    m.put("owned_by", "parley");
    m.put("endpoints", h.endpoints());
    m.put("aliases", h.aliases());
    return m;
  }

  /** {@code GET /v1/models}. */
  Map<String, Object> list() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("object", "list");
    m.put("data", all().stream().map(this::object).toList());
    return m;
  }

  /** {@code GET /v1/models/{id}}: a hosted id or an alias; null if neither. */
  Map<String, Object> get(String id) {
    for (Hosted h : all()) {
      if (h.id().equals(id)) {
        return object(h);
      }
    }
    for (Hosted h : all()) {
      if (h.aliases().contains(id)) {
        Map<String, Object> m = object(h);
        m.put("id", id);
        m.put("alias_of", h.id());
        return m;
      }
    }
    return null;
  }
}
